/*
  borderscope's own ASP (classic VBScript/JScript) and ASP.NET (aspx, ashx,
  asmx) webshell rules.

  Classic ASP shells hand Request(...) to Execute/Eval/ExecuteGlobal or to
  WScript.Shell; ASP.NET shells start processes from Request data, evaluate
  it in JScript.NET, or load an assembly sent in the request body.
*/

private rule asp_request_source
{
    strings:
        $r = /Request\s*(\.\s*(Form|QueryString|Item|Params|Cookies|Headers|ServerVariables)\s*)?[\(\[]/ nocase
        $body = /Request\s*\.\s*(BinaryRead|InputStream|TotalBytes)/ nocase
    condition:
        any of them
}

rule asp_eval_of_request
{
    meta:
        description = "Execute/Eval/ExecuteGlobal of request data (classic ASP China Chopper one-liner and relatives)"
        technique = "code execution of request data"
        score = 90
    strings:
        $e = /[^\w.](execute|eval|executeglobal)\s*\(?\s*request\s*(\.\s*(form|querystring|item|cookies)\s*)?[\(\[]/ nocase
        $e2 = /[^\w.](execute|eval|executeglobal)\s*\(?\s*\(?\s*(unescape|decode|strreverse|base64decode)\s*\(\s*request/ nocase
    condition:
        any of them
}

rule aspx_jscript_eval_of_request
{
    meta:
        description = "JScript.NET eval of request data, often with the \"unsafe\" flag (ASPX China Chopper)"
        technique = "code execution of request data"
        score = 90
    strings:
        $e = /[^\w.]eval\s*\(\s*[^;]{0,80}Request\s*(\.\s*(Item|Form|QueryString|Params)\s*)?[\[\(]/ nocase
        $unsafe = /['"]unsafe['"]/ nocase
        $jscript = /Language\s*=\s*['"]?(Jscript|C#|CS|VB)/ nocase
    condition:
        $e and ($unsafe or $jscript)
}

rule asp_wscript_shell_of_request
{
    meta:
        description = "WScript.Shell (or Shell.Application) runs a command in a page that reads the request"
        technique = "command execution of request data"
        score = 85
    strings:
        $obj = /CreateObject\s*\(\s*['"](WScript\.Shell|Shell\.Application|WScript\.Network)['"]/ nocase
        $run = /\.\s*(Exec|Run|ShellExecute)\s*\(?/ nocase
        $cmd = /cmd(\.exe)?\s*\/c|%ComSpec%/ nocase
    condition:
        $obj and $run and (asp_request_source or $cmd)
}

rule aspx_process_start_of_request
{
    meta:
        description = "Process.Start / ProcessStartInfo in a page that reads request data"
        technique = "command execution of request data"
        score = 85
    strings:
        $psi = /ProcessStartInfo|Process\s*\.\s*Start\s*\(|new\s+Process\s*\(/ nocase
        $page = /<%@\s*(Page|WebHandler|WebService)|<script\s+runat\s*=\s*['"]?server/ nocase
        $shell = /['"](cmd(\.exe)?|powershell(\.exe)?|\/bin\/(ba)?sh)['"]|FileName\s*=\s*[^;]{0,60}Request/ nocase
    condition:
        $psi and asp_request_source and ($page or $shell)
}

rule aspx_assembly_load_of_request
{
    meta:
        description = "loads a .NET assembly from bytes in the request, usually decrypted (Behinder/Godzilla-style loaders)"
        technique = "bytecode loader"
        score = 90
    strings:
        $load = /Assembly\s*\.\s*Load\s*\(|\.\s*Load\s*\(\s*[^;]{0,40}(TransformFinalBlock|FromBase64String)|CreateInstance\s*\(\s*['"]U['"]/ nocase
        $src = /Request\s*\.\s*(BinaryRead|InputStream|Form|Item|Params)|Request\s*\[/ nocase
        $crypto = /RijndaelManaged|AesManaged|Aes\s*\.\s*Create|TransformFinalBlock|FromBase64String/ nocase
    condition:
        $load and $src and $crypto
}

rule asp_encoded_execute
{
    meta:
        description = "Execute/Eval of a string rebuilt from character codes or reversed text (classic ASP obfuscation)"
        technique = "obfuscated code execution"
        score = 80
    strings:
        $chrs = /[^\w.](execute|eval|executeglobal)\s*\(?\s*\(?\s*(chr|chrw|chrb)\s*\(\s*\d+\s*\)\s*&\s*(chr|chrw|chrb)\s*\(/ nocase
        $rev = /[^\w.](execute|eval|executeglobal)\s*\(?\s*\(?\s*strreverse\s*\(/ nocase
        $unesc = /[^\w.](execute|eval|executeglobal)\s*\(?\s*\(?\s*unescape\s*\(/ nocase
        $rev_request = /strreverse\s*\(\s*['"][^'"]{0,20}tseuqer/ nocase
        $hexfn = /execute\s*\(?\s*[a-z_]\w{0,20}\s*\(\s*['"][0-9a-f]{200}/ nocase
    condition:
        any of them
}

rule asp_socket_tunnel
{
    meta:
        description = "HTTP-to-TCP tunnel server side in ASP.NET (reGeorg family)"
        technique = "tunnel"
        score = 85
    strings:
        $sock = /new\s+Socket\s*\(|System\.Net\.Sockets|IPEndPoint/ nocase
        $c1 = "CONNECT"
        $c2 = "DISCONNECT"
        $c3 = "FORWARD"
        $c4 = "READ"
        $h1 = "X-CMD" nocase
        $h2 = "X-STATUS" nocase
        $h3 = "X-ERROR" nocase
        $h4 = "X-TARGET" nocase
    condition:
        $sock and asp_request_source and (3 of ($c*) or 2 of ($h*))
}

rule asp_shell_console
{
    meta:
        description = "a command console page: a command form field and a shell or file-system object driven by it"
        technique = "webshell console"
        score = 80
    strings:
        $form = /<(input|asp:TextBox)[^>]{0,120}(name|id)\s*=\s*['"]?(cmd|command|exec|txtCmd|cmdtext)['"]?/ nocase
        $obj = /WScript\.Shell|Shell\.Application|ProcessStartInfo|Process\.Start/ nocase
        $out = /StdOut\s*\.\s*ReadAll|StandardOutput\s*\.\s*ReadToEnd/ nocase
    condition:
        $form and $obj and $out
}
