"""licscan: audit the licences and origins of the AI models a project uses, through their whole ancestry."""

__version__ = "0.1.0"
