/*
 * PrintMaster Windows service host: bin\pm-agent-service.exe for the agent, and, built with -DPM_ROLE_SERVER,
 * bin\pm-server-service.exe for the server. Everything below says "agent"; the server's host differs only in the
 * role constants (ROLE_* below): service PrintMasterServer, main class io.printmaster.server.launcher.ServerMain, no
 * JVM defaults, data in %ProgramData%\PrintMaster\Server, slot script bin\pm-server.cmd, console log
 * server-console.log.
 *
 * The agent is a Java program; the Service Control Manager needs a real service binary. This host is that binary:
 * it registers as the service PrintMasterAgent, starts the agent JVM as a child process inside a Job object
 * (KILL_ON_JOB_CLOSE: the JVM can never outlive the service, even if this host is killed), reports SERVICE_RUNNING,
 * and on STOP or SHUTDOWN asks the JVM to stop (CTRL_C, so the launcher's shutdown hook stops Felix cleanly), waits a
 * short grace period, then ends the job and reports SERVICE_STOPPED.
 *
 * Command it runs (the installation folder <home>, the install root, is the folder above bin\):
 *   <java> <PM_JAVA_OPTS or the agent defaults> -cp "<program>\lib\*" io.printmaster.agent.launcher.AgentMain
 *          --home "<home>" --program-dir "<program>" --data-dir "%ProgramData%\PrintMaster\Agent"
 * with PM_SUPERVISED=1 in its environment (see "Restarting itself" below).
 * <program> is the version slot chosen at every service start exactly as bin\pm-agent.cmd chooses it
 * (docs\admin-guide.md, "Install layout and version slots"): <home>\versions\booting (a trial that never committed)
 * is renamed to versions\abandoned; versions\trial is renamed to versions\booting and that version runs once;
 * otherwise versions\current names the committed version; absent: <home> itself. A version must match
 * ^[0-9A-Za-z][0-9A-Za-z._+-]*$ and have <home>\versions\<v>\bin\pm-agent.cmd, else it is skipped (logged) and the
 * next choice is used. The JVM is started directly (not through the .cmd) so the stop request reaches it alone.
 * <java> is <program>\runtime\bin\java.exe (the runtime the release carries and was tested with), else
 * <home>\runtime\bin\java.exe, else %JAVA_HOME%\bin\java.exe, else java.exe on the PATH. Without any, the
 * service stops with a service-specific error (EXIT_NO_JAVA) and says why in the event log and in
 * %ProgramData%\PrintMaster\Agent\service.log. The JVM's console output goes to ...\Agent\agent-console.log.
 *
 * Restarting itself (docs\admin-guide.md, "Restarting itself (exit code 75)"): a JVM that must restart (a full
 * install staged a new version) exits with code 75. The host then reports SERVICE_STOPPED with
 * ERROR_SERVICE_SPECIFIC_ERROR and service-specific code 75: a failure, so the SCM runs the service's recovery
 * actions, which the MSI sets (restart after 5 s, 5 s, 60 s; FailureActionsOnNonCrashFailures, since the host does
 * not crash), and the next start chooses the version slot anew. The host tells the JVM it will be restarted
 * (PM_SUPERVISED=1) only when those recovery actions are set: otherwise an exit 75 would leave the service stopped,
 * so the JVM is not told, and its update stops before anything changes (RESTART_FAILED), with this host's warning
 * in service.log saying which sc.exe command sets them.
 *
 * Build: x86_64-w64-mingw32-gcc -O2 -s -municode -Wl,--no-insert-timestamp -o pm-agent-service.exe pm-agent-service.c -ladvapi32
 * (the server's host: add -DPM_ROLE_SERVER and -o pm-server-service.exe)
 */
#ifndef UNICODE
#define UNICODE
#endif
#ifndef _UNICODE
#define _UNICODE
#endif
#include <windows.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#ifdef PM_ROLE_SERVER
#define SERVICE_NAME L"PrintMasterServer"
#define ROLE_NAME L"server"
#define MAIN_CLASS L"io.printmaster.server.launcher.ServerMain"
/* none: the server sizes its heap from the machine, as bin\pm-server does */
#define DEFAULT_JAVA_OPTS L""
#define ROLE_DATA_DIR L"Server"
#define ROLE_SLOT_SCRIPT L"pm-server.cmd"
#define ROLE_CONSOLE_LOG L"server-console.log"
#define ROLE_HOST_EXE L"pm-server-service.exe"
#define ROLE_CONSOLE_SCRIPT L"bin\\pm-server.cmd"
#else
#define SERVICE_NAME L"PrintMasterAgent"
#define ROLE_NAME L"agent"
#define MAIN_CLASS L"io.printmaster.agent.launcher.AgentMain"
#define DEFAULT_JAVA_OPTS L"-Xmx64m -Xms16m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
#define ROLE_DATA_DIR L"Agent"
#define ROLE_SLOT_SCRIPT L"pm-agent.cmd"
#define ROLE_CONSOLE_LOG L"agent-console.log"
#define ROLE_HOST_EXE L"pm-agent-service.exe"
#define ROLE_CONSOLE_SCRIPT L"bin\\pm-agent.cmd"
#endif
#define STOP_GRACE_MS 20000
#define CMD_MAX 32768

/* Service-specific exit codes (dwServiceSpecificExitCode), shown by "sc query PrintMasterAgent". */
#define EXIT_NO_JAVA 2
#define EXIT_START_FAILED 3
#define EXIT_AGENT_FAILED 4
/* The JVM's exit code asking for a restart (EX_TEMPFAIL), passed on as the service-specific code: a "failure" the
 * SCM's recovery actions answer with a start. The same number as everywhere else (io.printmaster.api.service). */
#define EXIT_RESTART 75

static SERVICE_STATUS_HANDLE status_handle;
static SERVICE_STATUS status;
static HANDLE stop_event;
static DWORD checkpoint = 1;
static wchar_t data_dir[MAX_PATH];
static wchar_t home[MAX_PATH];
static wchar_t program[MAX_PATH];

/* Appends a line to <data>\service.log and, for errors, to the Application event log. */
static void log_line(WORD type, const wchar_t *format, ...)
{
    wchar_t message[2048];
    va_list args;
    va_start(args, format);
    _vsnwprintf(message, 2047, format, args);
    va_end(args);
    message[2047] = L'\0';

    if (data_dir[0]) {
        wchar_t path[MAX_PATH + 32];
        _snwprintf(path, MAX_PATH + 31, L"%ls\\service.log", data_dir);
        path[MAX_PATH + 31] = L'\0';
        FILE *f = _wfopen(path, L"a, ccs=UTF-8");
        if (f) {
            SYSTEMTIME t;
            GetLocalTime(&t);
            fwprintf(f, L"%04u-%02u-%02u %02u:%02u:%02u %ls %ls\n", t.wYear, t.wMonth, t.wDay, t.wHour, t.wMinute,
                     t.wSecond,
                     type == EVENTLOG_ERROR_TYPE ? L"ERROR" : type == EVENTLOG_WARNING_TYPE ? L"WARN " : L"INFO ",
                     message);
            fclose(f);
        }
    }
    if (type != EVENTLOG_INFORMATION_TYPE) {
        HANDLE source = RegisterEventSourceW(NULL, SERVICE_NAME);
        if (source) {
            const wchar_t *strings[1] = { message };
            ReportEventW(source, type, 0, 0, NULL, 1, 0, strings, NULL);
            DeregisterEventSource(source);
        }
    }
}

static void report(DWORD state, DWORD win32_exit, DWORD specific_exit, DWORD wait_hint)
{
    status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    status.dwCurrentState = state;
    status.dwWin32ExitCode = specific_exit ? ERROR_SERVICE_SPECIFIC_ERROR : win32_exit;
    status.dwServiceSpecificExitCode = specific_exit;
    status.dwWaitHint = wait_hint;
    status.dwControlsAccepted = state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
    status.dwCheckPoint = (state == SERVICE_RUNNING || state == SERVICE_STOPPED) ? 0 : checkpoint++;
    SetServiceStatus(status_handle, &status);
}

static DWORD WINAPI control_handler(DWORD control, DWORD event_type, LPVOID event_data, LPVOID context)
{
    (void)event_type; (void)event_data; (void)context;
    switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
        report(SERVICE_STOP_PENDING, NO_ERROR, 0, STOP_GRACE_MS + 5000);
        SetEvent(stop_event);
        return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
        return NO_ERROR;
    default:
        return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

static BOOL is_file(const wchar_t *path)
{
    DWORD a = GetFileAttributesW(path);
    return a != INVALID_FILE_ATTRIBUTES && !(a & FILE_ATTRIBUTE_DIRECTORY);
}

/* The installation folder: the folder above the one holding this executable. */
static BOOL find_home(void)
{
    DWORD n = GetModuleFileNameW(NULL, home, MAX_PATH);
    if (n == 0 || n >= MAX_PATH) {
        return FALSE;
    }
    for (int up = 0; up < 2; up++) {
        wchar_t *slash = wcsrchr(home, L'\\');
        if (!slash) {
            return FALSE;
        }
        *slash = L'\0';
    }
    return TRUE;
}

/* %ProgramData%\PrintMaster\Agent (Server for the server), created when missing. */
static BOOL prepare_data_dir(void)
{
    wchar_t base[MAX_PATH];
    DWORD n = GetEnvironmentVariableW(L"ProgramData", base, MAX_PATH);
    if (n == 0 || n >= MAX_PATH) {
        wcscpy(base, L"C:\\ProgramData");
    }
    wchar_t parent[MAX_PATH];
    _snwprintf(parent, MAX_PATH - 1, L"%ls\\PrintMaster", base);
    parent[MAX_PATH - 1] = L'\0';
    CreateDirectoryW(parent, NULL);
    _snwprintf(data_dir, MAX_PATH - 1, L"%ls\\" ROLE_DATA_DIR, parent);
    data_dir[MAX_PATH - 1] = L'\0';
    return CreateDirectoryW(data_dir, NULL) || GetLastError() == ERROR_ALREADY_EXISTS;
}

/* The first line of a slot file, blanks around it removed; FALSE when it cannot be read. */
static BOOL read_slot_file(const wchar_t *path, wchar_t *version, size_t size)
{
    char bytes[256];
    HANDLE f = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (f == INVALID_HANDLE_VALUE) {
        return FALSE;
    }
    DWORD n = 0;
    BOOL ok = ReadFile(f, bytes, sizeof(bytes) - 1, &n, NULL);
    CloseHandle(f);
    if (!ok) {
        return FALSE;
    }
    bytes[n] = '\0';
    char *start = bytes;
    while (*start == ' ' || *start == '\t') {
        start++;
    }
    size_t len = strcspn(start, "\r\n");
    while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\t')) {
        len--;
    }
    if (len >= size) {
        len = size - 1; /* too long for a name: the check below refuses what is left only if it is invalid */
    }
    for (size_t i = 0; i < len; i++) {
        version[i] = (wchar_t)(unsigned char)start[i];
    }
    version[len] = L'\0';
    return TRUE;
}

static BOOL is_name_char(wchar_t c, BOOL first)
{
    if ((c >= L'0' && c <= L'9') || (c >= L'A' && c <= L'Z') || (c >= L'a' && c <= L'z')) {
        return TRUE;
    }
    return !first && (c == L'.' || c == L'_' || c == L'+' || c == L'-');
}

/* TRUE when version names a usable slot: ^[0-9A-Za-z][0-9A-Za-z._+-]*$ and bin\<slot script> exists; else logs why. */
static BOOL usable_slot(const wchar_t *versions, const wchar_t *version, const wchar_t *file)
{
    BOOL valid = version[0] != L'\0';
    for (size_t i = 0; valid && version[i]; i++) {
        valid = is_name_char(version[i], i == 0);
    }
    if (!valid) {
        log_line(EVENTLOG_WARNING_TYPE, L"versions\\%ls holds '%ls', not a version name: skipped", file, version);
        return FALSE;
    }
    wchar_t launcher[MAX_PATH];
    _snwprintf(launcher, MAX_PATH - 1, L"%ls\\%ls\\bin\\" ROLE_SLOT_SCRIPT, versions, version);
    launcher[MAX_PATH - 1] = L'\0';
    if (!is_file(launcher)) {
        log_line(EVENTLOG_WARNING_TYPE, L"versions\\%ls names %ls but %ls is missing: skipped", file, version,
                 launcher);
        return FALSE;
    }
    return TRUE;
}

/* Chooses the program tree to run (see the top of this file) and writes it to program. */
static void choose_program(void)
{
    wcscpy(program, home);
    wchar_t versions[MAX_PATH], booting[MAX_PATH], trial[MAX_PATH], current[MAX_PATH], abandoned[MAX_PATH];
    _snwprintf(versions, MAX_PATH - 1, L"%ls\\versions", home);
    versions[MAX_PATH - 1] = L'\0';
    DWORD a = GetFileAttributesW(versions);
    if (a == INVALID_FILE_ATTRIBUTES || !(a & FILE_ATTRIBUTE_DIRECTORY)) {
        return;
    }
    _snwprintf(booting, MAX_PATH - 1, L"%ls\\booting", versions);
    _snwprintf(trial, MAX_PATH - 1, L"%ls\\trial", versions);
    _snwprintf(current, MAX_PATH - 1, L"%ls\\current", versions);
    _snwprintf(abandoned, MAX_PATH - 1, L"%ls\\abandoned", versions);
    booting[MAX_PATH - 1] = trial[MAX_PATH - 1] = current[MAX_PATH - 1] = abandoned[MAX_PATH - 1] = L'\0';

    wchar_t version[128];
    if (is_file(booting)) {
        /* the trial in progress never committed (crashed, killed, failed to start): the automatic rollback */
        if (MoveFileExW(booting, abandoned, MOVEFILE_REPLACE_EXISTING)) {
            log_line(EVENTLOG_WARNING_TYPE, L"the trial in versions\\booting did not commit: abandoned, back to "
                     L"the committed version");
        } else {
            log_line(EVENTLOG_ERROR_TYPE, L"cannot rename versions\\booting to versions\\abandoned (error %lu)",
                     GetLastError());
        }
    }
    const wchar_t *chosen = NULL;
    if (is_file(trial) && read_slot_file(trial, version, 128)) {
        if (!usable_slot(versions, version, L"trial")) {
            /* a trial that cannot boot is a trial that failed: the worker finds it abandoned */
            MoveFileExW(trial, abandoned, MOVEFILE_REPLACE_EXISTING);
        } else if (MoveFileExW(trial, booting, MOVEFILE_REPLACE_EXISTING)) {
            log_line(EVENTLOG_INFORMATION_TYPE, L"booting version %ls as a trial", version);
            chosen = version;
        } else {
            log_line(EVENTLOG_ERROR_TYPE, L"cannot rename versions\\trial to versions\\booting (error %lu): trial "
                     L"of %ls skipped", GetLastError(), version);
        }
    }
    if (!chosen && is_file(current) && read_slot_file(current, version, 128)
            && usable_slot(versions, version, L"current")) {
        chosen = version;
    }
    if (chosen) {
        _snwprintf(program, MAX_PATH - 1, L"%ls\\%ls", versions, chosen);
        program[MAX_PATH - 1] = L'\0';
    }
}

/* java.exe: <program>\runtime\bin (the runtime the release was tested with), then <home>\runtime\bin, then
 * %JAVA_HOME%\bin, then the PATH. */
static BOOL find_java(wchar_t *java)
{
    _snwprintf(java, MAX_PATH - 1, L"%ls\\runtime\\bin\\java.exe", program);
    java[MAX_PATH - 1] = L'\0';
    if (is_file(java)) {
        return TRUE;
    }
    _snwprintf(java, MAX_PATH - 1, L"%ls\\runtime\\bin\\java.exe", home);
    java[MAX_PATH - 1] = L'\0';
    if (is_file(java)) {
        return TRUE;
    }
    wchar_t java_home[MAX_PATH];
    DWORD n = GetEnvironmentVariableW(L"JAVA_HOME", java_home, MAX_PATH);
    if (n > 0 && n < MAX_PATH) {
        _snwprintf(java, MAX_PATH - 1, L"%ls\\bin\\java.exe", java_home);
        java[MAX_PATH - 1] = L'\0';
        if (is_file(java)) {
            return TRUE;
        }
        log_line(EVENTLOG_WARNING_TYPE, L"JAVA_HOME is %ls but it has no bin\\java.exe; looking further", java_home);
    }
    n = SearchPathW(NULL, L"java.exe", NULL, MAX_PATH, java, NULL);
    return n > 0 && n < MAX_PATH;
}

/*
 * TRUE when the SCM starts this service again after it stops with a failure: every recovery action is a restart
 * (a "none" after the first failures would leave it stopped) and they apply to non-crash failures, since the stop
 * after exit 75 is reported, not a crash. False when the SCM cannot be asked.
 */
static BOOL recovery_restarts(const wchar_t *service)
{
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    if (!scm) {
        return FALSE;
    }
    BOOL restarts = FALSE;
    SC_HANDLE svc = OpenServiceW(scm, service, SERVICE_QUERY_CONFIG);
    if (svc) {
        static BYTE buffer[8192];
        DWORD needed = 0;
        if (QueryServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS, buffer, sizeof(buffer), &needed)) {
            SERVICE_FAILURE_ACTIONSW *actions = (SERVICE_FAILURE_ACTIONSW *)buffer;
            restarts = actions->cActions > 0 && actions->lpsaActions != NULL;
            for (DWORD i = 0; restarts && i < actions->cActions; i++) {
                restarts = actions->lpsaActions[i].Type == SC_ACTION_RESTART;
            }
        }
        SERVICE_FAILURE_ACTIONS_FLAG flag;
        ZeroMemory(&flag, sizeof(flag));
        if (restarts && !(QueryServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, (LPBYTE)&flag, sizeof(flag),
                                               &needed) && flag.fFailureActionsOnNonCrashFailures)) {
            restarts = FALSE;
        }
        CloseServiceHandle(svc);
    }
    CloseServiceHandle(scm);
    return restarts;
}

/* Asks the JVM to stop as Ctrl+C would (it runs its shutdown hooks), then waits up to the grace period. */
static BOOL stop_gracefully(PROCESS_INFORMATION *child)
{
    BOOL asked = FALSE;
    FreeConsole();
    if (AttachConsole(child->dwProcessId)) {
        SetConsoleCtrlHandler(NULL, TRUE); /* this host ignores the event it sends */
        asked = GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0);
    }
    DWORD waited = 0;
    BOOL ended = FALSE;
    while (asked && waited < STOP_GRACE_MS) {
        if (WaitForSingleObject(child->hProcess, 1000) == WAIT_OBJECT_0) {
            ended = TRUE;
            break;
        }
        waited += 1000;
        report(SERVICE_STOP_PENDING, NO_ERROR, 0, STOP_GRACE_MS - waited + 5000);
    }
    FreeConsole();
    SetConsoleCtrlHandler(NULL, FALSE);
    return ended;
}

static void WINAPI service_main(DWORD argc, LPWSTR *argv)
{
    /* the name the SCM started us under (an admin may have registered the host under another name) */
    const wchar_t *service = argc > 0 && argv[0] && argv[0][0] ? argv[0] : SERVICE_NAME;
    status_handle = RegisterServiceCtrlHandlerExW(SERVICE_NAME, control_handler, NULL);
    if (!status_handle) {
        return;
    }
    report(SERVICE_START_PENDING, NO_ERROR, 0, 10000);
    stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);

    if (!find_home() || !prepare_data_dir()) {
        log_line(EVENTLOG_ERROR_TYPE, L"cannot find the installation folder or create the data folder (error %lu)",
                 GetLastError());
        report(SERVICE_STOPPED, NO_ERROR, EXIT_START_FAILED, 0);
        return;
    }
    choose_program();
    wchar_t java[MAX_PATH];
    if (!find_java(java)) {
        log_line(EVENTLOG_ERROR_TYPE, L"no Java found: install a Java 17+ runtime and set JAVA_HOME (system "
                 L"environment), put java.exe on the system PATH, or place a runtime in %ls\\runtime", home);
        report(SERVICE_STOPPED, NO_ERROR, EXIT_NO_JAVA, 0);
        return;
    }

    /* PM_SUPERVISED=1 tells the JVM that exiting with 75 restarts it (the child inherits this environment) */
    if (recovery_restarts(service)) {
        SetEnvironmentVariableW(L"PM_SUPERVISED", L"1");
    } else {
        SetEnvironmentVariableW(L"PM_SUPERVISED", NULL);
        log_line(EVENTLOG_WARNING_TYPE, L"the service %ls has no recovery actions that restart it after a failure, "
                 L"so the " ROLE_NAME L" cannot restart itself (updates that need a restart will stop before they "
                 L"change anything); set them with: sc.exe failure %ls reset= 86400 actions= "
                 L"restart/5000/restart/5000/restart/60000 and sc.exe failureflag %ls 1", service, service, service);
    }

    static wchar_t options[4096];
    DWORD n = GetEnvironmentVariableW(L"PM_JAVA_OPTS", options, 4096);
    if (n == 0 || n >= 4096) {
        wcscpy(options, DEFAULT_JAVA_OPTS);
    }
    static wchar_t command[CMD_MAX];
    _snwprintf(command, CMD_MAX - 1, L"\"%ls\" %ls -cp \"%ls\\lib\\*\" " MAIN_CLASS
               L" --home \"%ls\" --program-dir \"%ls\" --data-dir \"%ls\"", java, options, program, home, program,
               data_dir);
    command[CMD_MAX - 1] = L'\0';

    /* the JVM's console output, appended to a file in the data folder */
    wchar_t console_log[MAX_PATH + 32];
    _snwprintf(console_log, MAX_PATH + 31, L"%ls\\" ROLE_CONSOLE_LOG, data_dir);
    console_log[MAX_PATH + 31] = L'\0';
    SECURITY_ATTRIBUTES inherit = { sizeof(inherit), NULL, TRUE };
    HANDLE out = CreateFileW(console_log, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit, OPEN_ALWAYS,
                             FILE_ATTRIBUTE_NORMAL, NULL);

    HANDLE job = CreateJobObjectW(NULL, NULL);
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits;
    ZeroMemory(&limits, sizeof(limits));
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (!job || !SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof(limits))) {
        log_line(EVENTLOG_ERROR_TYPE, L"cannot create the job object for the " ROLE_NAME L" (error %lu)",
                 GetLastError());
        report(SERVICE_STOPPED, NO_ERROR, EXIT_START_FAILED, 0);
        return;
    }

    STARTUPINFOW si;
    ZeroMemory(&si, sizeof(si));
    si.cb = sizeof(si);
    if (out != INVALID_HANDLE_VALUE) {
        si.dwFlags = STARTF_USESTDHANDLES;
        si.hStdInput = NULL;
        si.hStdOutput = out;
        si.hStdError = out;
    }
    PROCESS_INFORMATION child;
    ZeroMemory(&child, sizeof(child));
    /* CREATE_NO_WINDOW: the JVM gets a console without a window, so the stop request can reach it as Ctrl+C */
    if (!CreateProcessW(NULL, command, NULL, NULL, TRUE, CREATE_SUSPENDED | CREATE_NO_WINDOW | CREATE_UNICODE_ENVIRONMENT,
                        NULL, data_dir, &si, &child)) {
        log_line(EVENTLOG_ERROR_TYPE, L"cannot start %ls (error %lu); command: %ls", java, GetLastError(), command);
        CloseHandle(job);
        report(SERVICE_STOPPED, NO_ERROR, EXIT_START_FAILED, 0);
        return;
    }
    if (!AssignProcessToJobObject(job, child.hProcess)) {
        log_line(EVENTLOG_WARNING_TYPE, L"cannot put the " ROLE_NAME L" in the job object (error %lu); it may "
                 L"outlive a killed service host", GetLastError());
    }
    ResumeThread(child.hThread);
    CloseHandle(child.hThread);
    if (out != INVALID_HANDLE_VALUE) {
        CloseHandle(out);
    }
    log_line(EVENTLOG_INFORMATION_TYPE, ROLE_NAME L" started (process %lu): %ls", child.dwProcessId, command);
    report(SERVICE_RUNNING, NO_ERROR, 0, 0);

    HANDLE waits[2] = { stop_event, child.hProcess };
    DWORD which = WaitForMultipleObjects(2, waits, FALSE, INFINITE);
    DWORD specific = 0;
    if (which == WAIT_OBJECT_0) {
        if (!stop_gracefully(&child)) {
            log_line(EVENTLOG_WARNING_TYPE, L"the " ROLE_NAME L" did not stop within %d s; ending it",
                     STOP_GRACE_MS / 1000);
        }
        log_line(EVENTLOG_INFORMATION_TYPE, L"service stopped");
    } else {
        DWORD code = 0;
        GetExitCodeProcess(child.hProcess, &code);
        /* a non-zero service-specific code makes the SCM apply the service's recovery actions (restart) */
        if (code == EXIT_RESTART) {
            log_line(EVENTLOG_INFORMATION_TYPE, L"the " ROLE_NAME L" asked for a restart (exit code %d): stopping "
                     L"with service-specific code %d, so the recovery actions start the service again", EXIT_RESTART,
                     EXIT_RESTART);
            specific = EXIT_RESTART;
        } else {
            log_line(EVENTLOG_ERROR_TYPE, L"the " ROLE_NAME L" exited on its own with code %lu: see %ls", code,
                     console_log);
            specific = EXIT_AGENT_FAILED;
        }
    }
    TerminateJobObject(job, 1);
    CloseHandle(job); /* KILL_ON_JOB_CLOSE: nothing of the JVM survives this */
    CloseHandle(child.hProcess);
    report(SERVICE_STOPPED, NO_ERROR, specific, 0);
}

int wmain(int argc, wchar_t **argv)
{
    (void)argc; (void)argv;
    SERVICE_TABLE_ENTRYW table[] = {
        { SERVICE_NAME, service_main },
        { NULL, NULL }
    };
    if (!StartServiceCtrlDispatcherW(table)) {
        if (GetLastError() == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
            fwprintf(stderr, ROLE_HOST_EXE L" is the Windows service host of the PrintMaster " ROLE_NAME L"; the "
                     L"Service Control Manager starts it. Register it with:\n"
                     L"  sc.exe create " SERVICE_NAME L" binPath= \"<home>\\bin\\" ROLE_HOST_EXE L"\" start= auto\n"
                     L"  sc.exe failure " SERVICE_NAME L" reset= 86400 actions= "
                     L"restart/5000/restart/5000/restart/60000\n"
                     L"  sc.exe failureflag " SERVICE_NAME L" 1\n"
                     L"or run the " ROLE_NAME L" in this console with " ROLE_CONSOLE_SCRIPT L"\n");
            return 1;
        }
        return (int)GetLastError();
    }
    return 0;
}
