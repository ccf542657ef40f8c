"""The Qt layer: tray, menu, window, model, watcher. Imported only when the tray runs."""
