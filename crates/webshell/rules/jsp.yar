/*
  borderscope's own JSP/JSPX webshell rules (Java servlets pages).

  A JSP shell reads request.getParameter/getHeader/getInputStream and hands
  it to Runtime.exec, ProcessBuilder, a script engine, or a class loader that
  defines bytecode sent by the client (the memory-shell loaders).
*/

private rule jsp_request_source
{
    strings:
        $p = /request\s*\.\s*(getParameter|getParameterValues|getParameterMap|getHeader|getHeaders|getInputStream|getReader|getQueryString|getCookies)\s*\(/
        $el = /\$\{\s*param\s*[.\[]/
    condition:
        any of them
}

rule jsp_command_exec_of_request
{
    meta:
        description = "Runtime.exec or ProcessBuilder runs a shell or a command built from request data, in a page that reads the request"
        technique = "command execution of request data"
        score = 90
    strings:
        // exec of request data, of a variable, or of an argument array naming a shell
        $rt = /getRuntime\s*\(\s*\)\s*\.\s*exec\s*\(\s*(request|[a-zA-Z_][\w.]*\s*[),]|new\s+String\s*\[\s*\]\s*\{[^}]{0,80}(request|\/bin\/(ba)?sh|cmd))/
        $rt_refl = /getMethod\s*\(\s*['"]exec['"]/
        $rt_name = /forName\s*\(\s*['"]java\.lang\.Runtime['"]\s*\)/
        $pb = /new\s+ProcessBuilder\s*\(/
        $pb_start = /\.\s*start\s*\(\s*\)/
        $pb_req = /new\s+ProcessBuilder\s*\([^;]{0,120}request\s*\.\s*get(Parameter|Header)/
        $shell = /['"](\/bin\/(ba)?sh|cmd(\.exe)?|powershell(\.exe)?)['"]/ nocase
        $direct = /\.\s*exec\s*\(\s*request\s*\.\s*getParameter\s*\(/
    condition:
        $direct or (jsp_request_source and ($rt or ($rt_name and $rt_refl) or ($pb and $pb_start and ($pb_req or $shell))))
}

rule jsp_class_loader_of_request
{
    meta:
        description = "defines a class from bytes sent by the client, usually decrypted first (Behinder/Godzilla-style loaders and memory shells)"
        technique = "bytecode loader"
        score = 90
    strings:
        $define = /defineClass\s*\(/
        $loader = /extends\s+ClassLoader|ClassLoader\s*\.\s*class\s*\.\s*getDeclaredMethod\s*\(\s*['"]defineClass/
        $cipher = /Cipher\s*\.\s*getInstance\s*\(/
        $b64 = /(BASE64Decoder|Base64\s*\.\s*getDecoder|decodeBuffer|Base64\s*\.\s*decode|DatatypeConverter\s*\.\s*parseBase64Binary)/
        $body = /request\s*\.\s*(getInputStream|getReader|getParameter)\s*\(/
    condition:
        $define and ($loader or $cipher) and ($body or ($b64 and jsp_request_source))
}

rule jsp_script_engine_of_request
{
    meta:
        description = "evaluates request data in a JVM script engine (JavaScript/Nashorn/Groovy)"
        technique = "code execution of request data"
        score = 85
    strings:
        $sem = /ScriptEngineManager|GroovyShell|javax\.script/
        $eval = /\.\s*(eval|evaluate)\s*\(\s*[^;]{0,80}request\s*\.\s*(getParameter|getHeader|getReader|getInputStream)/
    condition:
        $sem and $eval
}

rule jsp_file_write_from_request
{
    meta:
        description = "a small page that writes a file whose name and content come from the request (JSP droppers)"
        technique = "file write from request"
        score = 75
    strings:
        $out = /new\s+(FileOutputStream|FileWriter|PrintWriter|RandomAccessFile)\s*\(\s*[^;]{0,120}(request\s*\.\s*getParameter|getRealPath)/
        $content = /\.\s*(write|print|println)\s*\(\s*[^;]{0,60}request\s*\.\s*getParameter\s*\(/
    condition:
        filesize < 6KB and $out and $content
}

rule jsp_socket_tunnel
{
    meta:
        description = "HTTP-to-TCP tunnel server side in JSP (reGeorg family): header- or parameter-driven CONNECT/FORWARD/READ/DISCONNECT over a socket channel"
        technique = "tunnel"
        score = 85
    strings:
        $sock = /SocketChannel|new\s+Socket\s*\(|InetSocketAddress/
        $c1 = "CONNECT"
        $c2 = "DISCONNECT"
        $c3 = "FORWARD"
        $c4 = "READ"
        $h1 = "X-CMD" nocase
        $h2 = "X-STATUS" nocase
        $h3 = "X-ERROR" nocase
        $h4 = "X-TARGET" nocase
    condition:
        $sock and jsp_request_source and (3 of ($c*) or 2 of ($h*))
}

rule jsp_shell_console
{
    meta:
        description = "a command console page: a command form field and the process output copied back to the response"
        technique = "webshell console"
        score = 80
    strings:
        $exec = /(getRuntime\s*\(\s*\)\s*\.\s*exec|new\s+ProcessBuilder)\s*\(/
        $stream = /getInputStream\s*\(\s*\)|getErrorStream\s*\(\s*\)/
        $shell = /['"](cmd(\.exe)?|\/bin\/(ba)?sh)['"]/ nocase
        $form = /<input[^>]{0,120}name\s*=\s*['"]?(cmd|command|exec|c)['"]?/ nocase
    condition:
        $exec and $stream and ($shell or $form)
}
