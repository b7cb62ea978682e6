/*
  borderscope's own ASP (classic VBScript/JScript) and ASP.NET (aspx, ashx,
  asmx) webshell rules.

  Classic ASP shells hand Request(...) to Execute/Eval/ExecuteGlobal or to
  WScript.Shell; ASP.NET shells start processes from Request data, evaluate
  it in JScript.NET, or load an assembly sent in the request body.
*/

private rule asp_server_code
{
    // server-side script delimiters of a classic ASP / ASP.NET page (a PHP
    // file that writes JavaScript into HTML has none of them)
    strings:
        $delim = "<%"
        $script = /<script[^>]{0,80}runat\s*=\s*['"]?server/ nocase
        $php = "<?php" nocase
    condition:
        ($delim or $script) and not $php
}

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
        // quotes may be doubled inside a verbatim string ("" in C#/VB)
        $obj = /(CreateObject|new\s+ActiveXObject)\s*\(\s*['"]{1,2}(WScript\.Shell|Shell\.Application|WScript\.Network)['"]{1,2}/ nocase
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
        $ctl = /(Arguments|FileName)\s*=\s*[^;\r\n]{0,40}\.\s*Text\b|ProcessStartInfo\s*\(\s*\w+\s*\.\s*Text\b|\(\s*\w+\s*\.\s*Text\s*\)/ nocase
    condition:
        $psi and (asp_request_source or $ctl) and ($page or $shell)
}

rule aspx_assembly_load_of_request
{
    meta:
        description = "loads a .NET assembly from bytes in the request, usually decrypted (Behinder/Godzilla-style loaders)"
        technique = "bytecode loader"
        score = 90
    strings:
        $load = /Assembly\s*\.\s*Load\s*\(|GetMethod\s*\(\s*['"]Load['"]|\.\s*Load\s*\(\s*[^;]{0,40}(TransformFinalBlock|FromBase64String)|CreateInstance\s*\(\s*['"]U['"]/ nocase
        // the same through reflection with the method name hidden: typeof(Assembly).GetMethod(<built string>).Invoke(...), then CreateInstance on the result
        $refl_asm = /typeof\s*\(\s*(System\s*\.\s*Reflection\s*\.\s*)?Assembly\s*\)|\(\s*(System\s*\.\s*Reflection\s*\.\s*)?Assembly\s*\)\s*[A-Za-z_(]/
        $refl_invoke = /\.\s*Invoke\s*\(\s*null\s*,/
        $refl_ci = /\.\s*CreateInstance\s*\(/
        $src = /Request\s*\.\s*(BinaryRead|InputStream|Form|Item|Params)|Request\s*\[/ nocase
        $crypto = /RijndaelManaged|AesManaged|Aes\s*\.\s*Create|TransformFinalBlock|FromBase64String/ nocase
    condition:
        ($load or ($refl_asm and $refl_invoke and $refl_ci)) and $src and $crypto
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
        asp_server_code and any of them
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

rule aspx_jscript_eval_unsafe
{
    meta:
        description = "server-side JScript calls eval with a second argument: JScript.NET's eval(code, \"unsafe\"), however the flag and the code are spelled"
        technique = "code execution (JScript.NET unsafe eval)"
        score = 85
    strings:
        $server_js = /(<%@\s*Page\s+Language\s*=\s*['"]?\s*Jscript|<script[^>]{0,60}runat\s*=\s*['"]?server[^>]{0,60}language\s*=\s*['"]?JScript|<script[^>]{0,60}language\s*=\s*['"]?JScript[^>]{0,60}runat\s*=\s*['"]?server|<%@\s*PAGE\s+LANGUAGE\s*=\s*JSCRIPT)/ nocase
        $eval2 = /[^\w.]eval\s*(\/\*.{0,20}\*\/\s*)*\(\s*[^;(),]{1,80},\s*[^;()]{1,120}\)/ nocase
    condition:
        $server_js and $eval2
}

rule asp_execute_of_variable_small_page
{
    meta:
        description = "a small page reads the request and runs a variable, a session value or a decoded literal with Execute/Eval/ExecuteGlobal"
        technique = "code execution of request data (indirect)"
        score = 75
    strings:
        $exec_var = /[^\w.](execute|eval|executeglobal)\s*[\( ]\s*\(?\s*[a-z_]\w{0,30}\s*\)?\s*(%>|\r|\n|:|$)/ nocase
        $exec_session = /[^\w.](execute|eval|executeglobal)\s*\(?\s*(session|application)\s*\(/ nocase
        $exec_fn_literal = /[^\w.](execute|executeglobal)(\s+|\s*\(\s*)[a-z_]\w{0,30}\s*\(\s*"[^"\r\n]{16,}"/ nocase
        $not_net = /<%#/
    condition:
        filesize < 4KB and asp_server_code and not $not_net and (
            (asp_request_source and ($exec_var or $exec_session)) or $exec_fn_literal
        )
}

rule asp_script_control
{
    meta:
        description = "MSScriptControl (ScriptControl) given the page's objects and told to run code: an eval hidden from Execute-based signatures"
        technique = "code execution through a script host"
        score = 80
    strings:
        $add = /\.\s*AddObject\s*\(?\s*"/ nocase
        $run = /\.\s*(ExecuteStatement|AddCode|Eval)\s*\(/ nocase
        // ScriptControl handed code from the request, whatever quotes the page uses
        $sc = /ScriptControl/ nocase
        $addcode_req = /\.\s*(AddCode|ExecuteStatement|Eval)\s*\(?\s*Request/ nocase
    condition:
        filesize < 64KB and (($add and $run) or ($sc and $addcode_req))
}

rule asp_utf7_codepage
{
    meta:
        description = "a classic ASP page declared as UTF-7 (codepage 65000): the script is written in UTF-7 so no keyword is visible"
        technique = "encoding obfuscation"
        score = 80
    strings:
        $cp = /<%@\s*(language\s*=\s*\w+\s+)?codepage\s*=\s*65000/ nocase
        $utf7 = /\+A[A-Za-z0-9+\/]{20,}-/
    condition:
        $cp and $utf7
}

rule asp_reversed_request
{
    meta:
        description = "the words request and eval/execute written backwards in a classic ASP page, to be reversed at run time"
        technique = "obfuscated code execution"
        score = 75
    strings:
        $rev = /tseuqer/ nocase
        $run = /[^\w.](execute|eval|executeglobal)\s*[\( ]/ nocase
    condition:
        filesize < 16KB and asp_server_code and $rev and $run
}

rule aspx_xslt_script_runs_code
{
    meta:
        description = "a server page compiles an XSLT stylesheet whose msxsl:script block evaluates code or starts a shell: code execution that no Page directive shows"
        technique = "code execution through XSLT script"
        score = 85
    strings:
        $script = "msxsl:script" nocase
        $run = /eval\s*\(|ActiveXObject|Process\s*\.\s*Start|WScript\.Shell/ nocase
        $xf = /XslCompiledTransform|XslTransform|TransformNode\s*\(|MSXML2\.DOMDocument/ nocase
    condition:
        filesize < 64KB and $script and $run and $xf
}

rule asp_write_file_from_request
{
    meta:
        description = "a small classic ASP page writes a file whose name and content come from the request (FileSystemObject or ADODB.Stream droppers)"
        technique = "file write from request"
        score = 75
    strings:
        $create_req = /CreateTextFile\s*\(\s*[^,\)\r\n]{0,40}Request/ nocase
        $create_var = /CreateTextFile\s*\(\s*[a-z_]\w{0,30}\s*[,)]/ nocase
        $assign_req = /[a-z_]\w{0,30}\s*=\s*Request\s*(\.\s*(Form|QueryString|Item))?\s*\(/ nocase
        $write_req = /\.\s*(Write|WriteLine)\s*\(?[^\r\n]{0,40}Request\s*(\.\s*(Form|QueryString|Item))?\s*\(/ nocase
        $save = /\.\s*SaveToFile\s*\(?\s*[^\r\n]{0,40}Request/ nocase
        // the same through variables: a file opened for writing or appending (modes 2 and 8) at a
        // path held in a variable, written from a variable, both variables read from the request
        $open_var = /OpenTextFile\s*\(\s*(server\s*\.\s*mappath\s*\(\s*)?[a-z_]\w{0,30}\s*\)?\s*,\s*[28]/ nocase
        $create_var2 = /CreateTextFile\s*\(\s*(server\s*\.\s*mappath\s*\(\s*)?[a-z_]\w{0,30}\s*\)?\s*[,)]/ nocase
        $write_var = /\.\s*(Write|WriteLine)\s*(\(\s*)?[a-z_]\w{0,30}\s*\)?\s*(\r|\n|:|%>|')/ nocase
        // a script file (by its extension) created with content held in a variable read from the request
        $create_script = /(CreateTextFile|OpenTextFile)\s*\(\s*(server\s*\.\s*mappath\s*\(\s*)?"[^"\r\n]{0,60}\.(asp|aspx|asa|cer|cdx|php|jsp)"/ nocase
    condition:
        filesize < 8KB and (($write_req and ($create_req or ($create_var and $assign_req))) or $save or
            (($open_var or $create_var2) and $write_var and #assign_req >= 2) or
            ($create_script and ($write_var or $write_req) and $assign_req))
}

rule asp_script_encoded
{
    meta:
        description = "a classic ASP page written with the Microsoft Script Encoder (VBScript.Encode/JScript.Encode): the code is unreadable to reviewers and to signatures"
        technique = "encoding obfuscation"
        score = 60
    strings:
        $lang = /LANGUAGE\s*=\s*['"]?\s*(VBScript|JScript)\.Encode/ nocase
        $start = /#@~\^[A-Za-z0-9+\/]{6}==/
    condition:
        $lang and $start
}

rule aspx_dynamic_code_from_request
{
    meta:
        description = "an ASP.NET page that reads the request compiles or evaluates code at run time: CodeDom compilers, JScript.NET's evaluator, PowerShell runspaces"
        technique = "code execution of request data (alternative sinks)"
        score = 80
    strings:
        // compiling, not generating source (WSDL help pages generate proxies with CodeDom)
        $codedom = /CompileAssemblyFrom(Source|Dom|File)\s*\(/ nocase
        $jsevaluate = /JScriptEvaluate\s*\(|Microsoft\.JScript\.Eval/ nocase
        $ps = /RunspaceFactory\s*\.\s*CreateRunspace|PowerShell\s*\.\s*Create\s*\(\s*\)|\.\s*AddScript\s*\(/ nocase
        $ctl = /\.\s*Text\b/
    condition:
        filesize < 128KB and (asp_request_source or $ctl) and ($codedom or $jsevaluate or $ps)
}

/*
  Session 5 additions.
*/

rule aspx_file_write_from_request
{
    meta:
        description = "an ASP.NET page writes a file whose path comes from the request or a form control (StreamWriter/File.WriteAllText/FileInfo.CreateText on Request or TextBox.Text): the .NET one-line dropper"
        technique = "file write from request"
        score = 75
    strings:
        $sw_req = /new\s+(System\.IO\.)?streamwriter\s*\(\s*(request|server\s*\.\s*mappath\s*\(\s*request|([a-z_]\w*\s*\.\s*){1,3}text\b)/ nocase
        $wat_req = /File\s*\.\s*(WriteAllText|WriteAllBytes|AppendAllText|Create|CreateText)\s*\(\s*(request|server\s*\.\s*mappath\s*\(\s*request|([a-z_]\w*\s*\.\s*){1,3}text\b)/ nocase
        $fi_req = /new\s+(System\.IO\.)?FileInfo\s*\(\s*(request|([a-z_]\w*\s*\.\s*){1,3}text\b)[\s\S]{0,200}\.\s*(CreateText|OpenWrite|AppendText)\s*\(/ nocase
        $content = /\.\s*(Write|WriteLine)\s*\(\s*(request|([a-z_]\w*\s*\.\s*){1,3}text\b)/ nocase
        $page = /<%@\s*(Page|WebHandler|WebService|Control)|runat\s*=\s*['"]?server/ nocase
    condition:
        filesize < 64KB and $page and (any of ($sw_req, $wat_req, $fi_req)) and $content
}

rule asp_execute_of_decoder_output
{
    meta:
        description = "a classic ASP page defines its own decoding function and runs its output with Execute/ExecuteGlobal/Eval (execute(Decode(s))): the packed-payload form of VBScript shells"
        technique = "obfuscated code execution"
        score = 75
    strings:
        $fn = /(Function|Sub)\s+[a-z_]\w{0,30}\s*\(/ nocase
        $exec_fn = /[^\w.](execute|executeglobal|eval)\s*\(?\s*\(?\s*[a-z_]\w{0,30}\s*\(\s*([a-z_]\w{0,30}|[a-z_]\w{0,30}\s*\(\s*"[^"\r\n]{0,80}"\s*\))\s*(,\s*[a-z_"]\w{0,30}"?\s*)?\)\s*\)?\s*(%>|\r|\n|:|'|$)/ nocase
        $chr_math = /chr[wb]?\s*\(\s*(asc[wb]?\s*\(|[a-z_]\w{0,20}\s*\(\s*[a-z_]\w{0,20}\s*\)\s*[-+*\\\/x])/ nocase
        $mid = /mid\s*\(/ nocase
    condition:
        filesize < 64KB and asp_server_code and $fn and $exec_fn and ($chr_math or $mid)
}

rule aspx_jscript_eval_of_decoded
{
    meta:
        description = "server-side JScript evaluates a string it decodes at run time (eval(...FromBase64String(...)), eval of char() arithmetic): the packed form of the JScript.NET one-liner"
        technique = "obfuscated code execution"
        score = 80
    strings:
        $server_js = /(<%@\s*Page\s+Language\s*=\s*['"]?\s*Jscript|<script[^>]{0,60}runat\s*=\s*['"]?server[^>]{0,60}language\s*=\s*['"]?JScript|<script[^>]{0,60}language\s*=\s*['"]?JScript[^>]{0,60}runat\s*=\s*['"]?server)/ nocase
        $eval_dec = /[^\w.]eval\s*\(\s*[^;]{0,120}(FromBase64String|GetString\s*\(|Decode\s*\(|String\s*\.\s*fromCharCode|char\s*\(\s*0x)/ nocase
    condition:
        filesize < 64KB and $server_js and $eval_dec
}

rule asp_drops_script_with_eval
{
    meta:
        description = "a server page (ASPX, ASHX, ASP) writes another server script whose content is a literal one-liner that evaluates request data: the dropper plants the shell, the shell is only in a string"
        technique = "dropper"
        score = 80
    strings:
        $write = /(CreateText|CreateTextFile|StreamWriter|WriteAllText|OpenTextFile)\s*\([^;\r\n]{0,80}\.(asp|aspx|ashx|asa|cer|php|jsp)['"\\]/ nocase
        $oneliner = /(eval|execute|executeglobal)\s*\(?\s*\(?\s*request\s*(\.\s*(item|form|querystring)\s*)?["'\\]*\s*[\[(+"]/ nocase
    condition:
        filesize < 64KB and $write and $oneliner
}

rule asp_remote_download_to_file
{
    meta:
        description = "a classic ASP page fetches a URL with XMLHTTP and saves the body to a file with ADODB.Stream: a downloader that plants a second-stage script"
        technique = "dropper"
        score = 75
    strings:
        $http = /(Microsoft|Msxml2)\s*\.\s*(Server)?XMLHTTP/ nocase
        $stream = "ADODB.Stream" nocase
        $save = /\.\s*SaveToFile\s*\(?/ nocase
        $body = /responseBody/ nocase
    condition:
        filesize < 64KB and asp_server_code and $http and $stream and $save and $body
}

rule asp_jscript_eval_as_value
{
    meta:
        description = "server-side JScript passes eval around as a value (returned from a function, stored in a variable or an object literal) and the page reads the request: the eval call site then shows no 'eval(' next to Request"
        technique = "indirect eval"
        score = 80
    strings:
        // JScript server code: the page directive or a runat=server block names JScript/JavaScript
        $js_dir = /<%@\s*(page\s+)?language\s*=\s*['"]?\s*(javascript|jscript)/ nocase
        $js_block = /<script[^>]{0,60}(runat\s*=\s*['"]?server[^>]{0,60}language\s*=\s*['"]?(javascript|jscript)|language\s*=\s*['"]?(javascript|jscript)[^>]{0,60}runat\s*=\s*['"]?server)/ nocase
        // eval not followed by '(': return eval; x = eval; {k: eval}; f(eval)
        $value = /(\breturn|[=:(,])\s*eval\s*[;,)}\r\n]/
    condition:
        filesize < 64KB and asp_server_code and asp_request_source and ($js_dir or $js_block) and $value
}

rule asp_execute_of_assembled_string
{
    meta:
        description = "a small classic ASP page runs Execute/ExecuteGlobal/Eval on a variable that it assembled with Join (of Split pieces or of a character Array) or with Chr() over a number array: the code (eval(request(...))) never appears as text; application pages execute no strings they glue from fragments"
        technique = "obfuscated code execution"
        score = 80
    strings:
        $exec_var = /[^\w.](execute|executeglobal|eval)\s*(\(\s*)?[a-z_]\w{0,40}\s*\)?\s*(%>|\r|\n|:|'|$)/ nocase
        $join = /join\s*\(\s*(split\s*\(|array\s*\(|[a-z_]\w{0,40}\s*,\s*"")/ nocase
        $chr_arr = /chr[wb]?\s*\(\s*[a-z_]\w{0,40}\s*\(\s*[a-z_]\w{0,40}\s*\)\s*\)/ nocase
    condition:
        filesize < 16KB and asp_server_code and $exec_var and ($join or $chr_arr)
}
