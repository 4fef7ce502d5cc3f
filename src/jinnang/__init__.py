"""jinnang (锦囊): knowledge and coaching for medical-device sales to Chinese hospitals."""

__version__ = "0.1.0"
