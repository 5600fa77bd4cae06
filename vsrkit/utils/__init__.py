"""Small shared helpers: safe checkpoint loading, errors, io."""
