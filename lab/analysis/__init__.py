"""The one place answers come from: pilot → period summaries → stats → Recommendation."""
