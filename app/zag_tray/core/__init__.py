"""The Qt-free core: store, liveness, tree, actions. Nothing below here imports Qt."""
