#!/bin/sh
# Remove what install.sh put in ~/.local (and the autostart entry, if it starts this copy).
# The tray's settings and log stay: `zag-tray where` printed where, before this ran.
set -eu

app_id=dev.zag_tray.ZagTray
lib="$HOME/.local/lib/zag-tray"
bin="$HOME/.local/bin"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
config="${XDG_CONFIG_HOME:-$HOME/.config}"

# Only the link install.sh made: a zag-tray installed with pip may sit there too.
if [ -L "$bin/zag-tray" ] && [ "$(readlink "$bin/zag-tray")" = "$lib/zag-tray" ]; then
	rm -f "$bin/zag-tray"
fi
# Likewise the autostart entry: only one that starts this copy, as install.sh wrote it or
# as the tray's "Start at login" did (the path bare, maybe with options after it).
autostart="$config/autostart/zag-tray.desktop"
starts_this_copy() {
	while IFS= read -r line; do
		case $line in
		"Exec=\"$lib/zag-tray\"" | "Exec=$lib/zag-tray" | "Exec=$lib/zag-tray "*) return 0 ;;
		esac
	done <"$autostart"
	return 1
}
if [ -f "$autostart" ] && starts_this_copy; then
	rm -f "$autostart"
fi
rm -f "$data/applications/$app_id.desktop" "$data/metainfo/$app_id.metainfo.xml"
for icon in "$data"/icons/hicolor/*/apps/"$app_id".png "$data"/icons/hicolor/scalable/apps/"$app_id".svg; do
	rm -f "$icon"
done
rm -rf "$lib"
echo "zag-tray removed from $HOME/.local (its settings and log stay; \`zag-tray where\` says where)"
