"""The app's icons: resources/ at the top of the repository, installed as ``zag_tray.resources``
(pyproject.toml) and read with importlib.resources."""
