@echo off
rem PrintMaster agent: starts the agent of this installation (the folder above bin\).
rem   bin\pm-agent.cmd [--data-dir DIR] [--port N] [--log-level L]     same flags as ./pm agent
rem Java: %JAVA_HOME%\bin\java.exe, else <home>\runtime\bin\java.exe, else java.exe on the PATH (Java 17+).
rem JVM options: PM_JAVA_OPTS, else the agent defaults. Data: --data-dir, else PM_DATA_DIR, else <home>\data.
setlocal EnableExtensions
for %%I in ("%~dp0..") do set "PM_HOME=%%~fI"

set "JAVA="
if defined JAVA_HOME (
  if not exist "%JAVA_HOME%\bin\java.exe" (
    echo pm-agent: JAVA_HOME is %JAVA_HOME% but it has no bin\java.exe: fix JAVA_HOME or unset it 1>&2
    exit /b 2
  )
  set "JAVA=%JAVA_HOME%\bin\java.exe"
) else if exist "%PM_HOME%\runtime\bin\java.exe" (
  set "JAVA=%PM_HOME%\runtime\bin\java.exe"
) else (
  where java.exe >nul 2>nul || (
    echo pm-agent: no Java found: install a Java 17+ runtime or set JAVA_HOME 1>&2
    exit /b 2
  )
  set "JAVA=java.exe"
)

if not defined PM_JAVA_OPTS set "PM_JAVA_OPTS=-Xmx64m -Xms16m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"

set "DATA_ARGS="
if defined PM_DATA_DIR goto run
echo.%* | findstr /c:"--data-dir" >nul && goto run
set DATA_ARGS=--data-dir "%PM_HOME%\data"

:run
"%JAVA%" %PM_JAVA_OPTS% -cp "%PM_HOME%\lib\*" io.printmaster.agent.launcher.AgentMain --home "%PM_HOME%" %DATA_ARGS% %*
exit /b %ERRORLEVEL%
