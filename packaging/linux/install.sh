#!/bin/sh
# Install zag-tray from this unpacked tarball for the current user, no root needed:
#   ~/.local/lib/zag-tray/        the app (replaced whole: nothing of an older version lingers)
#   ~/.local/bin/zag-tray         a link to it, for the command line
#   ~/.local/share/applications/  the desktop entry, ~/.local/share/icons/hicolor/ its icon,
#   ~/.local/share/metainfo/      the AppStream file (software centres)
#   ~/.config/autostart/          with --autostart: start at login (the tray's own "Start at
#                                 login" writes and reads this same file)
# ~/.local/lib/zag-tray/uninstall.sh removes it all again.
set -eu

usage() {
	echo "usage: ./install.sh [--autostart]"
	echo "Installs zag-tray into ~/.local; --autostart also starts it at login."
}

autostart=no
for arg in "$@"; do
	case $arg in
	--autostart) autostart=yes ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

here=$(cd "$(dirname "$0")" && pwd)
app_id=dev.zag_tray.ZagTray
lib="$HOME/.local/lib/zag-tray"
bin="$HOME/.local/bin"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
config="${XDG_CONFIG_HOME:-$HOME/.config}"

# Exec= quotes the path; these characters would need the desktop entry's escaping on top.
case $lib in
*[\"\`\$\\%]*)
	echo "install.sh: $lib holds a character a desktop entry cannot quote simply" >&2
	exit 1
	;;
esac

# Copy next to the old one, then swap: a failed copy leaves the installed app as it was.
mkdir -p "$(dirname "$lib")" "$bin" "$data/applications" "$data/metainfo" "$data/icons"
rm -rf "$lib.new"
cp -R "$here/zag-tray" "$lib.new"
cp "$here/uninstall.sh" "$lib.new/uninstall.sh"
rm -rf "$lib"
mv "$lib.new" "$lib"
ln -sfn "$lib/zag-tray" "$bin/zag-tray"

# The entry as shipped, its Exec= pointing here (a login session may not have ~/.local/bin
# on its PATH).
entry() {
	while IFS= read -r line; do
		case $line in
		Exec=*) printf 'Exec="%s"\n' "$lib/zag-tray" ;;
		*) printf '%s\n' "$line" ;;
		esac
	done <"$here/share/applications/$app_id.desktop"
}
entry >"$data/applications/$app_id.desktop"
cp "$here/share/metainfo/$app_id.metainfo.xml" "$data/metainfo/"
cp -R "$here/share/icons/hicolor" "$data/icons/"

if [ "$autostart" = yes ]; then
	mkdir -p "$config/autostart"
	{
		entry
		echo "X-GNOME-Autostart-enabled=true"
	} >"$config/autostart/zag-tray.desktop"
fi

# No update-desktop-database or gtk-update-icon-cache: the entry declares no MIME types, and
# an icon cache in ~/.local would have to be kept fresh for every other app's icons too.
# Desktops watch these folders and show the entry within moments.

echo "zag-tray installed in $lib"
case ":$PATH:" in
*":$bin:"*) ;;
*) echo "note: $bin is not on your PATH; the command is $bin/zag-tray" ;;
esac
if [ "$autostart" = yes ]; then
	echo "it starts at login ($config/autostart/zag-tray.desktop)"
fi
echo "uninstall: $lib/uninstall.sh"
