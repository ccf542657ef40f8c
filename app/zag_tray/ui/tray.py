"""The tray application: icon, tooltip, menu and window, over a watcher and a controller.

Right click: the menu. Double click: the window. Single left click: the menu,
after ``doubleClickInterval`` so that a double click does not also pop it up.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QSystemTrayIcon

from zag_tray.agents.glance import attention_line, tooltip
from zag_tray.agents.notices import Notice, Waiting
from zag_tray.agents.observation import Finished, Observation
from zag_tray.agents.present import failed, still_running_line
from zag_tray.agents.text import markup_inert, visible
from zag_tray.desktop.autostart import Autostart, launch_command
from zag_tray.desktop.settings import Settings, save_settings
from zag_tray.ui.collector import GuiThreadCollector
from zag_tray.ui.controller import AgentController
from zag_tray.ui.host import Clicks, Host, detect_host
from zag_tray.ui.icons import IconLook, IconState, tray_icon
from zag_tray.ui.menu import MenuHandlers, MenuOptions, populate
from zag_tray.ui.notifier import Notifier
from zag_tray.ui.remote_link import RemoteHosts
from zag_tray.ui.remote_notices import RemoteNotices
from zag_tray.ui.remote_tray import RemoteActions, glance, host_items
from zag_tray.ui.state_file import write_state_file
from zag_tray.ui.watcher import StoreWatcher

if TYPE_CHECKING:  # built when first opened (ui/app.py): a tray never opened never loads it
    from zag_tray.ui.window import AgentWindow

log = logging.getLogger(__name__)


class TrayApp(QObject):
    """Owns the tray icon, its menu, the window, the watcher and the controller."""

    def __init__(
        self,
        watcher: StoreWatcher,
        controller: AgentController,
        make_window: Callable[[], AgentWindow],
        settings: Settings,
        settings_file: Path,
        autostart: Autostart,
        notifier: Notifier,
        parent: QObject | None = None,
        *,
        name: str = "zag-tray",
        host: Host | None = None,
        remote: RemoteHosts | None = None,
    ) -> None:
        super().__init__(parent)
        self.watcher, self.controller, self.notifier = watcher, controller, notifier
        self.name = name
        """The tray's name where the user reads it: "zag-tray", with the store when not zag's own."""
        self._make_window = make_window
        self._window: AgentWindow | None = None  # built when first needed: most days it never is
        self.autostart = autostart
        self.settings = settings
        self.settings_file = settings_file
        self.observation: Observation | None = None
        self.tray_available = False
        """Is there a tray host (as at start, or since one appeared: ui/no_tray.py)?"""
        self.unseen: list[Finished] = []
        """Agents that failed or died since the user last looked (the icon's dot)."""
        self._told_overdue: set[str] = set()
        self.notices: list[Notice] = []
        """Every notice about finished agents (what the user was told), newest last."""
        self.remote = remote or RemoteHosts(parent=self)  # other machines (ui/remote_link.py)
        self.remote_actions = RemoteActions(self.remote, controller.confirm, self)
        self.look = IconLook(IconState.IDLE)
        self.collector = GuiThreadCollector(self)
        self.icon = QSystemTrayIcon(tray_icon(self.look), self)
        self.host = host or detect_host()
        self.menu = QMenu()
        self.menu.aboutToShow.connect(self.rebuild_menu)
        self.menu.aboutToShow.connect(self._menu_opening)
        self.icon.setContextMenu(self.menu)
        self.clicks = Clicks(self.host, self)
        self.icon.activated.connect(self.clicks.activated)
        self.clicks.menu_wanted.connect(self.menu.popup)
        self.clicks.window_wanted.connect(self.open_window)
        self.clicks.window_toggled.connect(self.toggle_window)
        self.icon.setToolTip(markup_inert(tooltip(None, time.time(), name=name)))
        watcher.observed.connect(self.apply)
        controller.message.connect(self.show_message)
        controller.noted.connect(self.show_briefly)
        controller.signalled.connect(watcher.refresh)
        self.remote.changed.connect(self._show_glance)  # and the menu where the host reads it ahead:
        self.remote.changed.connect(self.rebuild_menu if self.host is Host.SNI else lambda: None)
        self.remote_notices = RemoteNotices(self.remote, notifier, lambda: self.settings, self._noted, self)
        self.remote_actions.message.connect(self.show_message)
        self.icon.messageClicked.connect(notifier.balloon_clicked)
        notifier.clicked.connect(self._notification_clicked)
        notifier.balloon.connect(self._balloon)
        self.handlers = MenuHandlers(
            details=self.show_details,
            open_root=controller.open_root,
            open_terminal=controller.open_terminal,
            copy_id=controller.copy_id,
            stop=controller.stop,
            kill=lambda i: controller.kill(i),
            kill_tree=lambda i: controller.kill(i, tree=True),
            force_kill=lambda i: controller.kill(i, force=True),
            open_window=self.open_window,
            open_folder=controller.open_folder,
            set_notifications=self.set_notifications,
            set_notify_waiting=self.set_notify_waiting,
            set_start_at_login=self.set_start_at_login,
            settings=self.edit_settings,
            quit=self.quit,
            remote=self.remote_actions.act,
            sign_in=self.remote_actions.sign_in,
        )
        self.apply_settings(settings, save=False)

    @property
    def window(self) -> AgentWindow:
        """The details window, built the first time it is needed.

        A tray mostly runs all day without it being opened, so it costs nothing until
        then (about 10 MB and a model kept current on every store change).
        """
        if self._window is None:
            self._window = self._build_window()
        return self._window

    def _build_window(self) -> AgentWindow:
        window, controller = self._make_window(), self.controller
        window.kill_requested.connect(lambda entry_id, tree: controller.kill(entry_id, tree=tree))
        window.force_kill_requested.connect(lambda entry_id: controller.kill(entry_id, force=True))
        window.stop_requested.connect(controller.stop)
        window.open_root_requested.connect(controller.open_root)
        window.open_terminal_requested.connect(controller.open_terminal)
        window.copy_id_requested.connect(controller.copy_id)
        window.copy_text_requested.connect(controller.copy_text)
        window.refresh_requested.connect(self.watcher.refresh)
        window.settings_requested.connect(self.edit_settings)
        window.hosts.attach(self)  # other machines' rows, actions and Add host (ui/window_hosts.py)
        window.shown.connect(self._clear_attention)
        window.shown.connect(self.write_state)
        window.hidden.connect(self.write_state)
        window.restore_layout(self.settings.window_geometry, self.settings.column_state)
        if self.observation is not None:
            window.apply(self.observation)
        return window

    @Slot()
    def open_window(self) -> None:
        self.window.show_and_raise()

    @Slot()
    def toggle_window(self) -> None:
        """A left click where the host has its own menu: the window hides if it is in front,
        else it opens (or comes to the front)."""
        if self.window_visible() and self.window.isActiveWindow():
            self.window.hide()
        else:
            self.open_window()

    def window_built(self) -> bool:
        """Has the window been built? (Not until it is first opened.)"""
        return self._window is not None

    def window_visible(self) -> bool:
        return self._window is not None and self._window.isVisible()

    def start(self) -> None:
        # Asked once: with a StatusNotifierItem host, each ask makes Qt open a D-Bus connection.
        self.tray_available = QSystemTrayIcon.isSystemTrayAvailable()
        self.collector.start()
        self.notifier.start()
        self.icon.show()
        self.write_state()
        self.watcher.start()
        self.remote.start()

    @property
    def attention(self) -> bool:
        """Does the icon have its dot?"""
        return bool(self.unseen)

    @Slot(object)
    def apply(self, observation: Observation) -> None:
        """Show a new observation; tell the user what finished since the one before, and what
        outlived a stop or kill."""
        finished = observation.finished
        if observation.error and (self.observation is None or self.observation.error != observation.error):
            log.warning("store: %s", visible(observation.error))
        self.unseen += [f for f in finished if failed(f)]
        self._tell_overdue(observation)
        self.observation = observation
        if finished and self.settings.notifications:
            self._noted(self.notifier.announce(finished, time.time()))
        if observation.began_waiting and self.settings.notify_waiting:  # rate limits, stalls: shown only
            waiting = [Waiting(e, observation.activity[e.id]) for e in observation.began_waiting]
            self._noted(self.notifier.announce_waiting(waiting, time.time()))
        self.controller.observation = observation
        if self._window is not None:
            self._window.apply(observation)
        self._show_glance()
        if self.host is Host.SNI:
            self.rebuild_menu()
        self.collector.collect_due()  # an observation is what makes garbage: collected here

    def _noted(self, notice: Notice | None) -> None:
        if notice is not None:
            self.notices.append(notice)
            log.info("notification: %s", notice.text)

    def _show_glance(self) -> None:
        """The icon and its tooltip, from the latest observation."""
        observation, now = self.observation, time.time()
        remote_count, remote_waiting, host_lines = glance(self.remote.states(), now)
        if observation is not None:
            count = len(observation.running) + remote_count
            waiting = len(observation.needs_you()) + remote_waiting
            state = IconState.ERROR if observation.error else IconState.BUSY if count else IconState.IDLE
            if waiting and state is IconState.BUSY:  # needs you: above busy, below an error
                state, count = IconState.NEEDS_YOU, waiting
            look = IconLook(state, count, self.attention)
            if look != self.look:
                self.look = look
                self.icon.setIcon(tray_icon(look))
        shown = tooltip(observation, now, attention_line(self.unseen), self.name)
        shown = markup_inert("\n".join([shown, *host_lines]))  # a line per other machine
        if shown != self.icon.toolTip():  # each change is a D-Bus signal to an SNI host
            self.icon.setToolTip(shown)
        self.write_state()

    @Slot()
    def rebuild_menu(self) -> None:
        """The menu, from the latest observation: as it is about to show, and where the host
        renders it itself (SNI), at each observation too (the host reads it ahead). What has
        not changed is not touched (ui/menu.py): nothing at rest."""
        options = MenuOptions(
            notifications=self.settings.notifications,
            notify_waiting=self.settings.notify_waiting,
            start_at_login=self.autostart.is_enabled(),  # what is on disk, not what we remember
            recent_seconds=self.settings.recent_minutes * 60.0,
            attention=attention_line(self.unseen),
            ticking=self.host is not Host.SNI,
            remote=tuple(host_items(self.remote.states(), time.time(), ticking=self.host is not Host.SNI)),
        )
        populate(self.menu, self.observation, self.handlers, time.time(), options)

    @Slot()
    def _menu_opening(self) -> None:
        """The dot goes once the menu was really seen: a QMenu on screen, or the host's own
        rendering of it (SNI: its DBusMenu was opened). A popup the platform refused (Wayland:
        "Failed to create grabbing popup") was not seen."""
        QTimer.singleShot(0, self._menu_maybe_seen)

    @Slot()
    def _menu_maybe_seen(self) -> None:
        if self.host is Host.SNI or self.menu.isVisible():
            self._clear_attention()

    @Slot(object)
    def _notification_clicked(self, entry_id: str | None) -> None:
        if entry_id is not None:
            self.show_details(entry_id)
        else:
            self.open_window()

    @Slot(str, str, bool)
    def _balloon(self, title: str, text: str, urgent: bool) -> None:
        """A notice on the icon, where no notification server is on the session bus."""
        if self.icon.isVisible() and QSystemTrayIcon.supportsMessages():
            kind = QSystemTrayIcon.MessageIcon.Critical if urgent else QSystemTrayIcon.MessageIcon.Information
            self.icon.showMessage(title, text, kind, 10000)  # drawn as plain text (Qt's own balloon too)

    # --- settings ------------------------------------------------------------------------------

    def apply_settings(self, settings: Settings, *, save: bool = True) -> None:
        self.settings = settings
        self.controller.confirm_kill = self.remote_actions.confirm_kill = settings.confirm_kill
        self.remote.set_hosts(settings.hosts, start=self.icon.isVisible())
        self.watcher.set_liveness_interval(int(settings.refresh_seconds * 1000))
        if save:
            save_settings(settings, self.settings_file)

    @Slot(bool)
    def set_notifications(self, on: bool) -> None:
        self.apply_settings(dataclasses.replace(self.settings, notifications=on))

    @Slot(bool)
    def set_notify_waiting(self, on: bool) -> None:
        self.apply_settings(dataclasses.replace(self.settings, notify_waiting=on))

    @Slot(bool)
    def set_start_at_login(self, on: bool) -> None:
        try:
            if on:
                self.autostart.enable(launch_command())
            else:
                self.autostart.disable()
        except OSError as exc:
            self.show_message(f"Could not change start at login: {exc}")
            return
        log.info("start at login %s", "on" if on else "off")

    @Slot()
    def edit_settings(self) -> None:
        from zag_tray.ui.settings_dialog import SettingsDialog  # asked for rarely: loaded then

        dialog = SettingsDialog(self.settings, self._window if self.window_visible() else None)
        if dialog.exec() == SettingsDialog.DialogCode.Accepted:
            self.apply_settings(dialog.settings())

    def save_layout(self) -> None:
        if self._window is None:
            return  # never opened: the saved layout stands
        geometry, columns = self._window.layout_state()
        self.apply_settings(
            dataclasses.replace(self.settings, window_geometry=geometry, column_state=columns)
        )

    def show_details(self, entry_id: str) -> None:
        self.open_window()
        if not self.window.select_entry(entry_id):
            self.show_message(f"Agent {entry_id} is not in the store any more.")

    @Slot(str)
    def show_message(self, text: str, about: str | None = None) -> None:
        """An action's result or error: in the open window's status bar, and as a notification
        (a dialog where neither a window nor a tray is there to show it); a click on the
        notification shows the agent it is ``about``."""
        if self._window is not None:
            self._window.show_note(text)
        if self.notifier.through_server or self.icon.isVisible():
            self.notifier.message(text, about)
        elif not self.window_visible():
            QMessageBox.warning(None, "zag-tray", text)

    @Slot(str)
    def show_briefly(self, text: str) -> None:
        """A confirmation: in the window's status bar while it is open, else on the icon."""
        if self.window_visible():
            self.window.statusBar().showMessage(text, 3000)
        elif self.icon.isVisible() and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage("zag-tray", text, QSystemTrayIcon.MessageIcon.NoIcon, 2000)

    def _clear_attention(self) -> None:
        if self.unseen:
            self.unseen = []
            self._show_glance()

    def _tell_overdue(self, observation: Observation) -> None:
        """Once per agent: it outlived the grace period after the user's stop or kill."""
        stopping = observation.ends.stopping
        self._told_overdue &= stopping.keys()
        for entry in observation.running:
            each = stopping.get(entry.id)
            if each is not None and each.by_user and each.overdue and entry.id not in self._told_overdue:
                self._told_overdue.add(entry.id)
                self.show_message(still_running_line(entry, each, time.time()), entry.id)

    def write_state(self) -> None:
        """What the user sees, to ``$ZAG_TRAY_STATE_FILE`` when it is set (ui/state_file.py)."""
        write_state_file(self)

    def quit(self) -> None:
        """Quit the app: every event loop ends now (an open menu or question too). Not
        QApplication.quit(), which first closes every window and goes on handling events: on
        Wayland a window shown a moment before then took a pending configure after its
        native window was gone and crashed Qt (tests/e2e/test_wayland.py)."""
        try:
            self.save_layout()
        except Exception:  # a layout not saved never keeps the app from quitting
            log.exception("could not save the window's layout")
        finally:
            QApplication.exit(0)

    def shutdown(self) -> None:
        self.notifier.stop()
        self.watcher.stop()
        self.remote.stop()
        self.controller.wait()
        self.icon.hide()
        self.collector.stop()
