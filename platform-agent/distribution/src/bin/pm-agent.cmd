@echo off
rem PrintMaster launcher of one installation (the folder above bin\, the install root R). ONE script for both roles:
rem its own file name says which (bin\pm-agent.cmd in the agent's distribution, bin\pm-server.cmd in the server's;
rem the same bytes): pm-agent runs io.printmaster.agent.launcher.AgentMain with root variable PM_AGENT_ROOT and the
rem agent's small JVM defaults; pm-server runs io.printmaster.server.launcher.ServerMain with PM_SERVER_ROOT and the
rem JVM's own defaults.
rem   bin\pm-<role>.cmd [--data-dir DIR] [--port N] [--log-level L]     same flags as ./pm <role>
rem Java: %JAVA_HOME%\bin\java.exe, else <program>\runtime\bin\java.exe, else R\runtime\bin\java.exe, else java.exe
rem on the PATH (Java 17+). JVM options: PM_JAVA_OPTS, else the role's defaults. Data: --data-dir, else PM_DATA_DIR,
rem else R\data. No --supervise here: on Windows the service (bin\pm-<role>-service.exe) keeps it running.
rem
rem Version slots (docs\admin-guide.md, "Install layout and version slots"), as bin/pm-agent does: started with
rem its root variable unset, this script is the trampoline of R. R\versions\booting (a trial that never committed) is
rem renamed to R\versions\abandoned; R\versions\trial is renamed to R\versions\booting and that version is booted
rem once; otherwise R\versions\current names the committed version; absent: the base install in R. A version must
rem match ^[0-9A-Za-z][0-9A-Za-z._+-]*$ and have R\versions\<v>\bin\pm-<role>.cmd, else it is skipped (one line on
rem stderr) and the next choice is used. A slot runs as PM_<ROLE>_ROOT=R R\versions\<v>\bin\pm-<role>.cmd: with the
rem root variable set there is no slot selection; the program is this script's parent folder, the root the variable.
rem Java gets: <Main> --home <root> --program-dir <program> [--data-dir <root>\data] <your flags>.
setlocal EnableExtensions DisableDelayedExpansion
for %%I in ("%~dp0..") do set "PM_PROGRAM=%%~fI"

rem The role, from this script's own name: the only difference between the two distributions' copies.
if /i "%~n0"=="pm-server" (
  set "ROLE=server"
  set "ROOT_VAR=PM_SERVER_ROOT"
  set "MAIN_CLASS=io.printmaster.server.launcher.ServerMain"
  set "SERVICE=PrintMasterServer"
  set "DEFAULT_JAVA_OPTS="
) else (
  set "ROLE=agent"
  set "ROOT_VAR=PM_AGENT_ROOT"
  set "MAIN_CLASS=io.printmaster.agent.launcher.AgentMain"
  set "SERVICE=PrintMasterAgent"
  set "DEFAULT_JAVA_OPTS=-Xmx64m -Xms16m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
)
set "ME=pm-%ROLE%"
rem the root this script was started with (set by a trampoline): empty for a trampoline start
set "GIVEN_ROOT=%PM_AGENT_ROOT%"
if "%ROLE%"=="server" set "GIVEN_ROOT=%PM_SERVER_ROOT%"

if "%~1"=="--supervise" (
  echo %ME%: --supervise is for Linux and macOS; on Windows run the %ROLE% as the service %SERVICE% 1>&2
  exit /b 2
)

if defined GIVEN_ROOT (
  set "PM_ROOT=%GIVEN_ROOT%"
  goto java
)
set "PM_ROOT=%PM_PROGRAM%"
set "VERSIONS=%PM_ROOT%\versions"
set "CHOSEN="
if not exist "%VERSIONS%\" goto java
if exist "%VERSIONS%\booting" call :abandon
if exist "%VERSIONS%\trial" call :trial
if not defined CHOSEN if exist "%VERSIONS%\current" call :current
if not defined CHOSEN goto java
set "%ROOT_VAR%=%PM_ROOT%"
call "%VERSIONS%\%CHOSEN%\bin\%ME%.cmd" %*
exit /b %ERRORLEVEL%

:java
set "JAVA="
if defined JAVA_HOME (
  if not exist "%JAVA_HOME%\bin\java.exe" (
    echo %ME%: JAVA_HOME is %JAVA_HOME% but it has no bin\java.exe: fix JAVA_HOME or unset it 1>&2
    exit /b 2
  )
  set "JAVA=%JAVA_HOME%\bin\java.exe"
) else if exist "%PM_PROGRAM%\runtime\bin\java.exe" (
  set "JAVA=%PM_PROGRAM%\runtime\bin\java.exe"
) else if exist "%PM_ROOT%\runtime\bin\java.exe" (
  set "JAVA=%PM_ROOT%\runtime\bin\java.exe"
) else (
  where java.exe >nul 2>nul || (
    echo %ME%: no Java found: install a Java 17+ runtime or set JAVA_HOME 1>&2
    exit /b 2
  )
  set "JAVA=java.exe"
)

if not defined PM_JAVA_OPTS set "PM_JAVA_OPTS=%DEFAULT_JAVA_OPTS%"

set "DATA_ARGS="
if defined PM_DATA_DIR goto run
echo.%* | findstr /c:"--data-dir" >nul && goto run
set DATA_ARGS=--data-dir "%PM_ROOT%\data"

:run
"%JAVA%" %PM_JAVA_OPTS% -cp "%PM_PROGRAM%\lib\*" %MAIN_CLASS% --home "%PM_ROOT%" --program-dir "%PM_PROGRAM%" %DATA_ARGS% %*
exit /b %ERRORLEVEL%

rem ---- slot selection (subroutines; V is the version read from a slot file)

:abandon
rem the trial in progress never committed (crashed, killed, failed to start): the automatic rollback
move /y "%VERSIONS%\booting" "%VERSIONS%\abandoned" >nul || (
  echo %ME%: cannot rename versions\booting to versions\abandoned 1>&2
  exit /b 0
)
echo %ME%: the trial in versions\booting did not commit: abandoned, back to the committed version 1>&2
exit /b 0

:trial
set "V="
set /p "V=" < "%VERSIONS%\trial"
call :usable trial
if errorlevel 1 (
  rem a trial that cannot boot is a trial that failed: the worker finds it abandoned
  move /y "%VERSIONS%\trial" "%VERSIONS%\abandoned" >nul 2>nul
  exit /b 0
)
move /y "%VERSIONS%\trial" "%VERSIONS%\booting" >nul || (
  echo %ME%: cannot rename versions\trial to versions\booting: trial of %V% skipped 1>&2
  exit /b 0
)
echo %ME%: booting version %V% as a trial 1>&2
set "CHOSEN=%V%"
exit /b 0

:current
set "V="
set /p "V=" < "%VERSIONS%\current"
call :usable current
if errorlevel 1 exit /b 0
set "CHOSEN=%V%"
exit /b 0

rem Checks V (trailing blanks removed) against ^[0-9A-Za-z][0-9A-Za-z._+-]*$ and that its bin\pm-<role>.cmd exists;
rem errorlevel 1 with one line on stderr when not. %1 names the slot file. Delayed expansion keeps any character of
rem an invalid name from being run as a command.
:usable
setlocal EnableDelayedExpansion
set "NAME=!V!"
for /l %%n in (1,1,16) do if defined NAME if "!NAME:~-1!"==" " set "NAME=!NAME:~0,-1!"
if not defined NAME goto usable_bad
set "FIRST=!NAME:~0,1!"
for %%c in (. _ + -) do if "!FIRST!"=="%%c" goto usable_bad
rem every allowed character is a delimiter: a valid name leaves only the leading # as the first token and no rest
for /f "tokens=1* delims=0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._+-" %%a in ("#!NAME!") do (
  if not "%%a"=="#" goto usable_bad
  if not "%%b"=="" goto usable_bad
)
if not exist "%VERSIONS%\!NAME!\bin\!ME!.cmd" (
  echo !ME!: versions\%1 names !NAME! but versions\!NAME!\bin\!ME!.cmd is missing: skipped 1>&2
  endlocal
  exit /b 1
)
endlocal & set "V=%NAME%"
exit /b 0

:usable_bad
echo !ME!: versions\%1 holds "!NAME!", not a version name: skipped 1>&2
endlocal
exit /b 1
