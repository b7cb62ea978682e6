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
        $rt = /getRuntime\s*\(\s*\)\s*\.\s*exec\s*\(\s*(request|[a-zA-Z_][\w.]*\s*[),]|[a-zA-Z_]\w*\s*\.\s*split\s*\(|new\s+String\s*\[\s*\]\s*\{[^}]{0,80}(request|\/bin\/(ba)?sh|cmd))/
        $rt_refl = /getMethod\s*\(\s*['"]exec['"]/
        $rt_name = /forName\s*\(\s*['"]java\.lang\.Runtime['"]\s*\)/
        $pb = /new\s+(java\.lang\.)?ProcessBuilder\s*\(/
        $pb_start = /\.\s*start\s*\(\s*\)/
        $pb_req = /new\s+(java\.lang\.)?ProcessBuilder\s*\([^;]{0,120}request\s*\.\s*get(Parameter|Header)/
        $shell = /['"](\/bin\/(ba)?sh|cmd(\.exe)?|powershell(\.exe)?)['"]/ nocase
        $direct = /\.\s*exec\s*\(\s*request\s*\.\s*getParameter\s*\(/
        // java.beans.Expression/Statement invoke a method named by a string: exec without a call to exec
        $bean_invoke = /new\s+(java\.beans\.)?(Expression|Statement)\s*\([^;]{0,120}['"](exec|start|defineClass|invoke|getRuntime)['"]/
        // ... also when the method name is glued from pieces ("e"+"x"+"e"+"c") or the target is the Runtime itself
        $bean_runtime = /new\s+(java\.beans\.)?(Expression|Statement)\s*\(\s*((java\.lang\.)?Runtime\s*\.\s*getRuntime\s*\(\s*\)|new\s+(java\.lang\.)?ProcessBuilder|[^,;]{1,80},\s*"[a-zA-Z]{1,3}"\s*\+\s*")/
    condition:
        $direct or (jsp_request_source and ($bean_invoke or $bean_runtime or $rt or ($rt_name and $rt_refl) or ($pb and $pb_start and ($pb_req or $shell))))
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
        $out = /new\s+(java\.io\.)?(FileOutputStream|FileWriter|PrintWriter|RandomAccessFile)\s*\(\s*[^;]{0,120}(request\s*\.\s*getParameter|getRealPath)/
        $content = /\.\s*(write|print|println)\s*\(\s*[^;]{0,60}request\s*\.\s*getParameter\s*\(/
        // the same through variables: path and content read from the request, a file made from one and written with the other
        // (as characters, or as the variable's bytes: out.write(content.getBytes()))
        $file_var = /new\s+(java\.io\.)?(File|FileOutputStream|FileWriter|PrintWriter)\s*\(\s*[a-zA-Z_]\w*\s*\)/
        $write_var = /\.\s*(write|print|println)\s*\(\s*[a-zA-Z_]\w*(\s*\.\s*getBytes\s*\([^()]{0,20}\))?\s*\)/
        $param_var = /[a-zA-Z_]\w*\s*=\s*(new\s+String\s*\(\s*)?request\s*\.\s*getParameter\s*\(/
    condition:
        filesize < 6KB and (($out and $content) or ($file_var and $write_var and #param_var >= 2))
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
        $exec = /(getRuntime\s*\(\s*\)\s*\.\s*exec|new\s+(java\.lang\.)?ProcessBuilder)\s*\(/
        $stream = /getInputStream\s*\(\s*\)|getErrorStream\s*\(\s*\)/
        $shell = /['"](cmd(\.exe)?|\/bin\/(ba)?sh)['"]/ nocase
        $form = /<input[^>]{0,120}name\s*=\s*['"]?(cmd|command|exec|c)['"]?/ nocase
    condition:
        $exec and $stream and ($shell or $form)
}

rule jsp_hidden_class_or_method_names
{
    meta:
        description = "reflection on class or method names that are hidden: built from byte arrays, decoded from base64 (java.lang.* encoded), or a process started from names so built"
        technique = "obfuscated names (reflection)"
        score = 80
    strings:
        $forname_hidden = /forName\s*\(\s*new\s+String\s*\(/
        // class and method names both returned by a page-defined decoder: forName(dec("...")) ... getMethod(dec("..."))
        $forname_dec = /forName\s*\(\s*[a-zA-Z_]\w{0,30}\s*\(\s*"[^"]{1,80}"\s*\)\s*\)/
        $method_dec = /getMethod\s*\(\s*[a-zA-Z_]\w{0,30}\s*\(\s*"[^"]{1,80}"\s*\)/
        $method_hidden = /getMethod\s*\(\s*new\s+String\s*\(/
        // base64 of "java.lang." at the start of a literal
        $b64_javalang = /['"]amF2YS5sYW5nL[A-Za-z0-9+\/=]{4,}['"]/
        $pb_hidden = /new\s+(java\.lang\.)?ProcessBuilder\s*\(\s*new\s+String\s*\(\s*new\s+byte/
        $invoke = /\.\s*invoke\s*\(/
        $start = /\.\s*start\s*\(\s*\)/
    condition:
        jsp_request_source and (
            (($forname_hidden or $method_hidden or $b64_javalang) and $invoke) or
            ($forname_dec and $method_dec and $invoke) or
            ($pb_hidden and $start)
        )
}

rule jsp_dangerous_sink_with_request
{
    meta:
        description = "a page reads the request and reaches a sink that runs code or loads classes by a route other than Runtime.exec: BCEL or URL class loaders, TemplatesImpl bytecode, deserialisation, JNDI lookup, the Java compiler, JShell, script and expression engines, Unsafe, the process implementation classes"
        technique = "code execution of request data (alternative sinks)"
        score = 80
    strings:
        $bcel = /bcel\.internal\.util\.ClassLoader|\$\$BCEL\$\$/
        $urlcl = /new\s+(java\.net\.)?URLClassLoader\s*\(/
        $templates = /TemplatesImpl|_bytecodes/
        $deser = /new\s+(java\.io\.)?ObjectInputStream\s*\([^;]{0,120}\)\s*\.\s*readObject\s*\(|\.\s*readObject\s*\(\s*\)/
        $jndi = /new\s+(javax\.naming\.)?InitialContext\s*\(\s*\)\s*\.\s*lookup\s*\(|\.\s*lookup\s*\(\s*request\s*\.|JdbcRowSetImpl|setDataSourceName\s*\(\s*request/
        $javac = /getSystemJavaCompiler\s*\(|JavaCompiler/
        $jshell = /jdk\.jshell|JShell\s*\.\s*create\s*\(/
        $engine = /getEngineByName\s*\(|getEngineByExtension\s*\(|new\s+(javax\.script\.)?ScriptEngineManager\s*\(/
        $el = /ELProcessor|SpelExpressionParser|Ognl\s*\.\s*getValue|createValueExpression\s*\(|MVEL\s*\.\s*eval/
        $unsafe = /(sun\.misc\.)?Unsafe[^;]{0,80}(defineClass|defineAnonymousClass)|defineAnonymousClass\s*\(/
        $procimpl = /java\.lang\.(ProcessImpl|UNIXProcess)|forkAndExec|sun\.net\.www\.MimeLauncher/
        // an XSLT stylesheet taken from the request body (XSLT extension functions reach Java)
        $xslt = /newTransformer\s*\(\s*new\s+(javax\.xml\.transform\.stream\.)?StreamSource\s*\(\s*[a-zA-Z_]\w*\s*\)\s*\)[\s\S]{0,600}request\s*\.\s*get(Reader|InputStream)|request\s*\.\s*get(Reader|InputStream)\s*\(\s*\)[\s\S]{0,1200}newTransformer\s*\(\s*new\s+(javax\.xml\.transform\.stream\.)?StreamSource\s*\(/
        $mh = /MethodHandles\s*\.\s*lookup\s*\(\s*\)[^;]{0,200}(Runtime|exec|ProcessBuilder)/
        $loadclass = /\.\s*defineClass\s*\(|\.\s*loadClass\s*\(\s*request/
    condition:
        filesize < 64KB and jsp_request_source and any of them
}

/*
  Session 5 additions.
*/

rule jsp_reverse_shell
{
    meta:
        description = "a page connects a socket and wires a shell process's streams to it (the JSP counterpart of php_reverse_shell)"
        technique = "reverse or bind shell"
        score = 85
    strings:
        $sock = /new\s+(java\.net\.)?Socket\s*\(/
        $exec = /\.\s*exec\s*\(|new\s+(java\.lang\.)?ProcessBuilder\s*\(/
        $shell = /['"](cmd(\.exe)?|\/bin\/(ba)?sh|bash|sh)['"\s]/ nocase
        $pipe = /getInputStream\s*\(\s*\)/
        $pipe2 = /getOutputStream\s*\(\s*\)/
    condition:
        filesize < 64KB and $sock and $exec and $shell and $pipe and $pipe2
}

rule jsp_runtime_exec_via_variable
{
    meta:
        description = "Runtime.getRuntime() kept in a variable whose exec() runs a string from the request or a shell: the two-step form of the JSP command console"
        technique = "command execution of request data"
        score = 80
    strings:
        $rt_var = /Runtime\s+[a-zA-Z_]\w*\s*=\s*(java\.lang\.)?Runtime\s*\.\s*getRuntime\s*\(\s*\)/
        $exec_arg = /[a-zA-Z_]\w*\s*\.\s*exec\s*\(\s*(request\s*\.|[a-zA-Z_][\w.]*\s*[),]|new\s+String\s*\[|"[^"]{0,40}"\s*\+)/
        $shell = /['"](cmd(\.exe)?|\/bin\/(ba)?sh)['"\s]/ nocase
    condition:
        filesize < 64KB and $rt_var and $exec_arg and (jsp_request_source or $shell)
}

rule jsp_el_runtime
{
    meta:
        description = "a JSP expression-language block that reaches Runtime, ProcessBuilder or Class.forName: code execution hidden in ${...} rather than in a scriptlet"
        technique = "code execution (expression language)"
        score = 80
    strings:
        $el = /\$\{[^}]{0,300}(getRuntime\s*\(|ProcessBuilder|forName\s*\(|ScriptEngineManager|defineClass)/
    condition:
        filesize < 64KB and $el
}

rule jsp_log_handler_file_write
{
    meta:
        description = "a page points a java.util.logging FileHandler at a path from the request and logs request data into it: a file write that uses no file API by name"
        technique = "file write from request"
        score = 75
    strings:
        $fh = /FileHandler\s*\([^;]{0,160}request\s*\.\s*getParameter/
        $log = /\.\s*(info|warning|severe|log)\s*\(\s*request\s*\.\s*getParameter/
    condition:
        filesize < 16KB and $fh and $log
}

rule jsp_memory_shell_registration
{
    meta:
        description = "a page reaches the servlet container's internals (Tomcat StandardContext through reflection on the ApplicationContext facade, or Spring's handler mapping) and registers a filter, listener, servlet or mapping at run time: a memory shell that keeps serving after the page is deleted; applications configure these in web.xml or annotations, not from a JSP"
        technique = "memory shell"
        score = 85
    strings:
        $ctx = /StandardContext|ApplicationContextFacade|RequestMappingHandlerMapping|AbstractHandlerMethodMapping/
        $reg = /\.\s*(addFilterDef|addFilterMap|addFilterMapBefore|addApplicationEventListener|addServletMappingDecoded|addServletMapping|addChild|registerMapping)\s*\(/
        $refl = /getDeclaredField\s*\(|setAccessible\s*\(\s*true\s*\)|getRequestContext|WebApplicationContext/
        $jsp = /<%|<jsp:(scriptlet|declaration)/
    condition:
        filesize < 128KB and $jsp and $ctx and $reg and $refl
}

rule jsp_escaped_source
{
    meta:
        description = "JSP code written as Java unicode escapes of plain ASCII letters (\\u0069\\u0066 for 'if'), or a JSPX scriptlet written as XML character entities, or Java keywords cut by CDATA sections (Run<![CDATA[time]]>): the compiler reads through all three, signatures do not; real pages escape non-ASCII text, not their own code"
        technique = "obfuscated source"
        score = 80
    strings:
        $uni = /(\\u+00[2-7][0-9a-fA-F]){12}/
        $ent = /<jsp:(scriptlet|expression|declaration)>[^<]{0,400}(&#x?[0-9a-fA-F]{2,4};){12}/
        $cdata_in = /[A-Za-z0-9_.]<!\[CDATA\[[A-Za-z0-9_.]/
        $cdata_out = /[A-Za-z0-9_.(]\]\]>[A-Za-z0-9_.]/
        $jsp = /<%|<jsp:(scriptlet|expression|declaration|root)/
    condition:
        filesize < 256KB and $jsp and ($uni or $ent or (#cdata_in + #cdata_out >= 3))
}
