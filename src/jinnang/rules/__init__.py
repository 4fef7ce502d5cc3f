"""rules: the configurable customer journey, health scores and next-action suggestions."""
