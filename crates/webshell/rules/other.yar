/*
  borderscope's own rules for the other server-side script types (ColdFusion,
  Perl and Python CGI) and for server configuration that turns uploads into
  scripts.
*/

rule cfm_execute_of_request
{
    meta:
        description = "ColdFusion cfexecute (or createObject of java.lang.Runtime) driven by form/url variables"
        technique = "command execution of request data"
        score = 85
    strings:
        $cfx = /<cfexecute[^>]{0,300}#\s*(form|url|attributes|cookie)\./ nocase
        $cfx2 = /<cfexecute[^>]{0,200}name\s*=\s*['"]#/ nocase
        $rt = /createObject\s*\(\s*['"]java['"]\s*,\s*['"]java\.lang\.Runtime['"]/ nocase
        $src = /#\s*(form|url)\.\w+|\b(form|url)\s*\[\s*['"]/ nocase
        $eval = /evaluate\s*\(\s*(form|url)\s*\./ nocase
    condition:
        $cfx or $eval or (($cfx2 or $rt) and $src)
}

rule cgi_perl_command_of_request
{
    meta:
        description = "a Perl CGI script runs a command taken from a request parameter or the query string"
        technique = "command execution of request data"
        score = 85
    strings:
        // the Perl builtins as words, followed by their argument list
        $direct = /([^\w$>.:*](system|exec)(\s+|\s*\()|[^\w$>.:*]qx\s*[({\[\/|!])[^;\r\n]{0,40}(param\s*\(|\$ENV\s*\{\s*['"]?QUERY_STRING)/
        $tick = /`[^`]{0,20}\$(cmd|command|c)\b[^`]{0,20}`/
        $src = /(CGI\s*->\s*new|use\s+CGI\b|param\s*\(\s*['"]?(cmd|command|c|exec)['"]?\s*\)|\$ENV\s*\{\s*['"]?QUERY_STRING)/
        $eval = /[^\w$>.:]eval(\s+|\s*\()[^;]{0,40}param\s*\(/
    condition:
        $direct or $eval or ($tick and $src)
}

rule cgi_python_command_of_request
{
    meta:
        description = "a Python CGI script runs a command or code taken from the submitted form"
        technique = "command execution of request data"
        score = 85
    strings:
        $form = /cgi\s*\.\s*FieldStorage\s*\(|os\s*\.\s*environ\s*\[\s*['"]QUERY_STRING/
        $run = /(os\s*\.\s*(system|popen)|subprocess\s*\.\s*(Popen|call|check_output|run|getoutput)|commands\s*\.\s*getoutput|[^\w.](eval|exec))\s*\(\s*[^)\n]{0,80}(getvalue|getfirst|\[\s*['"]\w+['"]\s*\]\s*\.\s*value|form\s*\[|QUERY_STRING)/
        $var_run = /(os\s*\.\s*(system|popen)|subprocess\s*\.\s*(Popen|check_output|getoutput))\s*\(\s*(cmd|command|c)\b/
    condition:
        $form and ($run or $var_run)
}

rule server_config_executes_uploads
{
    meta:
        description = ".htaccess or web.config that makes image or text uploads run as scripts, or prepends a script to every page"
        technique = "handler override"
        score = 80
    strings:
        $addtype = /AddType\s+application\/x-httpd-php[0-9]?\s+[^\n]{0,60}\.(jpe?g|gif|png|txt|ico|bmp|css|js)\b/ nocase
        $handler = /(AddHandler|SetHandler)\s+[^\n]{0,40}(php|cgi-script)[^\n]{0,60}\.(jpe?g|gif|png|txt|ico|bmp)\b/ nocase
        $filesmatch = /<Files(Match)?\s+[^>]{0,80}\.(jpe?g|gif|png|txt|ico)[^>]{0,40}>\s*(SetHandler|ForceType)\s+application\/x-httpd-php/ nocase
        $prepend = /php_value\s+auto_(prepend|append)_file\s+[^\n]{0,80}(data:|php:\/\/|\.(jpe?g|gif|png|txt|ico|tmp))/ nocase
        $webconfig = /<add\s+name\s*=[^>]{0,120}path\s*=\s*['"]\*\.(jpe?g|gif|png|txt)['"][^>]{0,120}(PageHandlerFactory|asp\.dll|php-cgi|FastCgiModule)/ nocase
    condition:
        any of them
}

rule generic_command_form_console
{
    meta:
        description = "a page with a command input field whose value is run by a shell-capable function in the same file"
        technique = "webshell console"
        score = 75
    strings:
        $form = /<input[^>]{0,160}name\s*=\s*['"]?(cmd|command|cmdline|execute|shell)['"]?/ nocase
        $php = /[^\w>$:](system|passthru|shell_exec|popen|proc_open)\s*\(/ nocase
        $jsp = /getRuntime\s*\(\s*\)\s*\.\s*exec\s*\(/
        $asp = /WScript\.Shell|ProcessStartInfo/ nocase
        $cfm = "<cfexecute" nocase
        $py = /os\s*\.\s*popen|subprocess\s*\./
    condition:
        filesize < 512KB and $form and any of ($php, $jsp, $asp, $cfm, $py)
}

rule cgi_shell_runs_query_string
{
    meta:
        description = "a shell-script CGI hands the query string or POST body to a shell"
        technique = "command execution of request data"
        score = 80
    strings:
        $qs = /\$\{?(QUERY_STRING|HTTP_[A-Z_]+)\}?/
        $body = /read\s+(-[a-z]+\s+)*\w+|\bcat\s*$/
        $run = /(sh|bash)\s+-c\s+["']?\$|eval\s+["']?\$|\|\s*(sh|bash)\b/
    condition:
        uint16(0) == 0x2123 and ($qs or $body) and $run
}

rule cgi_perl_pipe_or_file_manager
{
    meta:
        description = "a Perl CGI reads the query string or form and opens a pipe to a command held in a variable, or lists directories and sends files named by it"
        technique = "command execution / file manager over CGI"
        score = 80
    strings:
        $src = /\$ENV\s*\{\s*['"]?(QUERY_STRING|CONTENT_LENGTH)['"]?\s*\}|param\s*\(\s*['"]\w+['"]\s*\)|CGI\s*->\s*new/
        // open(CMD, "($cmd) 2>&1 |") / open(P, "$c |") / open(my $h, "-|", $cmd)
        $pipe = /open\s*\(\s*(my\s+)?\$?\w+\s*,\s*("[^"\n]{0,20}\$[a-zA-Z_]\w*[^"\n]{0,20}\|\s*"|['"]-\|['"]\s*,\s*\$[a-zA-Z_]\w*)/
        $opendir = /opendir\s*\(\s*\w+\s*,\s*\$[a-zA-Z_]\w*/
        $read = /open\s*\(\s*\w+\s*,\s*"<\s*\$[a-zA-Z_]\w*"/
        $octet = "application/octet-stream"
    condition:
        uint16(0) == 0x2123 and $src and ($pipe or ($opendir and $read and $octet))
}

rule reverse_shell_one_liner
{
    meta:
        description = "a server script runs a shell one-liner that connects back over /dev/tcp or a named pipe (bash -i >& /dev/tcp/host/port 0>&1, nc -e): a reverse shell in any web language"
        technique = "reverse or bind shell"
        score = 85
    strings:
        $devtcp = /(ba)?sh\s+-i\s*[>&]{1,2}\s*\/dev\/(tcp|udp)\/|\/dev\/tcp\/[\w.\-]{1,64}\/\d{1,5}/
        $nc = /\bnc(at)?\s+(-[a-z]*e\s+\/bin\/(ba)?sh|[\w.\-]{1,64}\s+\d{1,5}\s+-e\s+\/bin\/(ba)?sh)/
        $run = /exec\s*\(|system\s*\(|passthru\s*\(|shell_exec\s*\(|popen\s*\(|proc_open\s*\(|ProcessBuilder|Process\s*\.\s*Start|WScript\.Shell|`/ nocase
    condition:
        filesize < 256KB and ($devtcp or $nc) and $run
}

rule servu_admin_protocol_from_web
{
    meta:
        description = "a server script speaks the Serv-U local administration protocol (SITE MAINTENANCE with -SETDOMAIN/-SETUSERSETUP/-DELETEDOMAIN): it adds an FTP user with system rights to escalate from the web server account; the protocol commands are the technique, whatever the language"
        technique = "privilege escalation"
        score = 80
    strings:
        $maint = "SITE MAINTENANCE" nocase
        $cmd = /-(SETUSERSETUP|SETDOMAIN|DELETEDOMAIN)\b/ nocase
    condition:
        filesize < 256KB and $maint and $cmd
}
