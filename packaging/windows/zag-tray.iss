; Inno Setup 6 script: an installer for the Windows bundle that packaging\build.py makes.
;
;   python packaging\build.py
;   iscc /DAppVersion=X.Y.Z packaging\windows\zag-tray.iss
;
; The version is the package's (pyproject.toml's), passed in, never written here:
;   for /f %v in ('build\package\venv\Scripts\python -c "import zag_tray; print(zag_tray.version())"') do iscc /DAppVersion=%v packaging\windows\zag-tray.iss
; Out: dist\zag-tray-VERSION-setup.exe. It installs for the current user (no UAC prompt),
; adds a Start menu entry and, if ticked, starts the tray at sign-in through the same Run
; value the tray's own "Start at login" writes and reads (HKCU\...\Run, "zag-tray").

#ifndef AppVersion
  #error Pass the package's version: iscc /DAppVersion=X.Y.Z packaging\windows\zag-tray.iss
#endif

[Setup]
; Never change AppId: Windows knows the installed app (upgrades, uninstall) by it.
AppId={{D9AD9BBB-8B12-4F9C-8777-A4A59B3D6AB2}
AppName=zag-tray
AppVersion={#AppVersion}
AppVerName=zag-tray {#AppVersion}
AppPublisher=zag-tray
AppComments=See, stop and kill zag's coding agents from the system tray
DefaultDirName={autopf}\zag-tray
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=zag-tray-{#AppVersion}-setup
SetupIconFile=..\..\build\package\pyinstaller\zag-tray\icons\zag-tray.ico
UninstallDisplayIcon={app}\zag-tray.exe
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
; A running tray holds its files open: ask it to close before an upgrade or uninstall.
CloseApplications=yes

[Tasks]
Name: "autostart"; Description: "Start zag-tray when I sign in"; Flags: unchecked

[Files]
; The whole one-folder bundle: zag-tray.exe (the tray, windowed), zag-tray-cli.exe (the
; commands, with a console) and _internal\.
Source: "..\..\dist\zag-tray\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\zag-tray"; Filename: "{app}\zag-tray.exe"

[Registry]
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "zag-tray"; ValueData: """{app}\zag-tray.exe"""; Flags: uninsdeletevalue; Tasks: autostart

[Run]
Filename: "{app}\zag-tray.exe"; Description: "Start zag-tray now"; Flags: nowait postinstall skipifsilent
