/*
  borderscope's own PHP webshell rules.

  Written from the techniques webshells use, not from samples: a webshell has
  to take input from the request (superglobals, headers, the raw body) and
  hand it to something that runs code or commands, or it hides that hand-off
  behind encoding. Each rule names one such technique. Rules match content,
  not file names, so a shell renamed to .jpg or .txt is still found; the
  external variables (filename, filepath, extension, filetype) are defined by
  borderscope for public rule sets and are not needed here.

  Conditions pair a sink with a source inside one statement where possible,
  because benign applications use each on its own all the time.
*/

private rule php_request_source
{
    strings:
        $sg = /\$_(GET|POST|REQUEST|COOKIE|FILES|SERVER)\s*\[/
        $sg2 = /\$\{\s*['"]_(GET|POST|REQUEST|COOKIE|SERVER)['"]\s*\}/
        $gl = /\$GLOBALS\s*\[\s*['"]_(GET|POST|REQUEST|COOKIE|SERVER)['"]\s*\]/
        $input = "php://input" nocase
        $hdr = /getallheaders\s*\(/ nocase
        $hdr2 = /apache_request_headers\s*\(/ nocase
        $filter = /filter_input(_array)?\s*\(\s*INPUT_(GET|POST|COOKIE|REQUEST|SERVER)/ nocase
    condition:
        any of them
}

private rule php_user_input
{
    // what a client controls: request parameters, cookies, uploads, the raw
    // body and HTTP headers (not $_SERVER in general: argv and paths are not input)
    strings:
        $sg = /\$_(GET|POST|REQUEST|COOKIE|FILES)\s*\[/
        $sg2 = /\$\{\s*['"]_(GET|POST|REQUEST|COOKIE)['"]\s*\}/
        $hdr = /\$_SERVER\s*\[\s*['"]HTTP_/
        $input = "php://input" nocase
        $hdr2 = /(getallheaders|apache_request_headers)\s*\(/ nocase
        $whole = /[^\w]\$_(GET|POST|REQUEST|COOKIE)\b\s*[;,)]/
        // the filter extension reads the same parameters without naming a superglobal
        $filter = /filter_input(_array)?\s*\(\s*INPUT_(GET|POST|COOKIE|REQUEST)/ nocase
    condition:
        any of them
}

rule php_code_eval_of_request
{
    meta:
        description = "eval/assert/create_function run code taken straight from the request (China Chopper style one-liners and their relatives)"
        technique = "code execution of request data"
        score = 90
    strings:
        // the request appears inside the sink's argument list, before the statement ends
        $eval = /[^\w>$:](eval|assert|create_function)\s*\(\s*[^;]{0,120}(\$_(GET|POST|REQUEST|COOKIE|SERVER)\b|\$\{\s*['"]_(GET|POST|REQUEST|COOKIE)|\$GLOBALS\s*\[\s*['"]_(GET|POST|REQUEST|COOKIE)|php:\/\/input|getallheaders\s*\(|apache_request_headers\s*\()/ nocase
        // code kept in the session by an earlier request
        $session = /[^\w>$:](eval|assert|create_function)\s*\(\s*[^;]{0,60}\$_SESSION\s*\[/ nocase
        // the one-liner's `@eval(` with an error-suppressed request read
        $at = /@\s*(eval|assert)\s*\(\s*@?\s*\$_/ nocase
    condition:
        any of them
}

rule php_request_called_as_function
{
    meta:
        description = "a request value is called as a function: $_GET['f']($_GET['a']) and its variants"
        technique = "dynamic function from request"
        score = 90
    strings:
        $call = /\$_(GET|POST|REQUEST|COOKIE|SERVER)\s*\[\s*['"]?[\w-]{0,40}['"]?\s*\]\s*\(/
        $call2 = /\$\{\s*['"]_(GET|POST|REQUEST|COOKIE)['"]\s*\}\s*\[[^\]]{1,40}\]\s*\(/
        $call3 = /\$GLOBALS\s*\[\s*['"]_(GET|POST|REQUEST|COOKIE)['"]\s*\]\s*\[[^\]]{1,40}\]\s*\(/
        // the result of a call is called in turn with request data: f(...)($_GET[x])
        $call_result = /[a-zA-Z_]\w*\s*\([^;()]{0,60}\)\s*\(\s*@?\s*\$_(GET|POST|REQUEST|COOKIE)\s*\[/
    condition:
        any of them
}

rule php_callback_from_request
{
    meta:
        description = "a callback-taking function gets its callback from the request, or a code-running function name as callback over request data"
        technique = "callback execution"
        score = 85
    strings:
        $cb_first = /(array_map|call_user_func|call_user_func_array|register_shutdown_function|register_tick_function|forward_static_call|forward_static_call_array|iterator_apply|ob_start|set_error_handler|set_exception_handler|spl_autoload_register)\s*\(\s*@?\s*\$_(GET|POST|REQUEST|COOKIE|SERVER)\s*\[/ nocase
        $cb_name = /(array_map|array_filter|array_walk|array_walk_recursive|array_reduce|array_udiff|array_uintersect|usort|uasort|uksort|call_user_func|call_user_func_array|register_shutdown_function|register_tick_function|preg_replace_callback|iterator_apply|forward_static_call|filter_var|filter_var_array)\s*\([^;]{0,160}['"](assert|eval|system|passthru|shell_exec|exec|popen|proc_open|pcntl_exec|create_function)['"]/ nocase
        // the sink named as an unquoted constant (PHP 5 reads it as a string): call_user_func_array(assert, ...)
        $cb_bare = /(call_user_func|call_user_func_array|array_map|array_filter|array_walk|register_shutdown_function|forward_static_call)\s*\(\s*(assert|eval|system|passthru|shell_exec)\s*,/ nocase
        $cb_option = /['"]options['"]\s*=>\s*['"](assert|system|passthru|shell_exec|create_function)['"]/ nocase
        $obj_sort = /->\s*(uasort|uksort)\s*\(\s*['"](assert|system|passthru)['"]/ nocase
    condition:
        any of them
}

rule php_callback_name_computed
{
    meta:
        description = "a callback-taking function gets as callback the result of a string transform (strrev, str_replace, substr_replace, str_rot13, base64_decode, hex2bin, implode, ...) and the script reads the request: the function name (assert, system) is hidden as data and assembled at run time; real code passes a quoted name, a closure or an array callable"
        technique = "callback execution"
        score = 80
    strings:
        $cb_first = /(array_map|call_user_func|call_user_func_array|register_shutdown_function|register_tick_function|forward_static_call|forward_static_call_array|iterator_apply|ob_start|set_error_handler|set_exception_handler)\s*\(\s*@?\s*(strrev|str_replace|str_ireplace|substr_replace|str_rot13|base64_decode|strtr|implode|join|hex2bin|pack|chr|gzinflate|gzuncompress|gzdecode|urldecode|rawurldecode|convert_uudecode|preg_replace)\s*\(/ nocase
        $cb_later = /(array_filter|array_walk|array_walk_recursive|array_reduce|usort|uasort|uksort|preg_replace_callback)\s*\([^;]{0,80},\s*@?\s*(strrev|str_replace|str_ireplace|substr_replace|str_rot13|base64_decode|strtr|implode|join|hex2bin|pack|chr|gzinflate|gzuncompress|gzdecode|urldecode|rawurldecode|convert_uudecode|preg_replace)\s*\(/ nocase
        $req = /\$_(GET|POST|REQUEST|COOKIE)\s*\[|\$_SERVER\s*\[\s*['"]HTTP_|php:\/\/input/ nocase
    condition:
        filesize < 64KB and ($cb_first or $cb_later) and $req
}

rule php_create_function_variable_body
{
    meta:
        description = "create_function with a variable as the code, or a sink name rebuilt by implode('_', [...]) from its words (create/function, call/user/func, base64/decode, shell/exec, ...), in a script that reads the request: code arrives as data; libraries that used create_function passed literal code"
        technique = "dynamic function from request"
        score = 80
    strings:
        $cf_var = /create_function\s*\(\s*(['"][^'"]{0,60}['"]|\$[a-zA-Z_]\w*)\s*,\s*@?\$[a-zA-Z_]\w*\s*(\[[^\]]{1,30}\]\s*)?\)/ nocase
        $imploded = /(implode|join)\s*\(\s*['"]_['"]\s*,\s*(array\s*\(|\[)\s*['"](create['"]\s*,\s*['"]function|call['"]\s*,\s*['"]user|base64['"]\s*,\s*['"]decode|shell['"]\s*,\s*['"]exec|str['"]\s*,\s*['"]rot13|proc['"]\s*,\s*['"]open|preg['"]\s*,\s*['"]replace|file['"]\s*,\s*['"]put|move['"]\s*,\s*['"]uploaded|array['"]\s*,\s*['"]map)/ nocase
        $req = /\$_(GET|POST|REQUEST|COOKIE)\s*\[|\$_SERVER\s*\[\s*['"]HTTP_|php:\/\/input/ nocase
    condition:
        filesize < 64KB and ($cf_var or $imploded) and $req
}

rule php_small_script_hidden_sink
{
    meta:
        description = "a small script that reads the request reaches a sink by a side door: pcntl_exec of request arguments; ob_start or call_user_func given a variable that holds a command or code sink's name ($cb = 'system'; ob_start($cb); echo $_GET[c]); eval of a literal glued around a variable; a function name spelled with chr() of constants and then called; or an element of a variable-variable array called as a function (${$_}[_](...), $$_[0](...)), which calls a superglobal whose name was computed"
        technique = "dynamic function from request"
        score = 80
    strings:
        $pcntl = /pcntl_exec\s*\(/ nocase
        $sink_lit = /\$[a-zA-Z_]\w*\s*=\s*['"](system|passthru|shell_exec|assert|popen|proc_open|pcntl_exec)['"]\s*;/ nocase
        $cb_var = /[^\w>$:](ob_start|call_user_func|call_user_func_array|array_map|array_filter|array_walk|register_shutdown_function|usort|uasort|uksort)\s*\(\s*\$[a-zA-Z_]\w*\s*[,)]/ nocase
        $eval_glue = /[^\w>$:](eval|assert)\s*\(\s*['"][^'"]{0,80}['"]\s*\.\s*\$[a-zA-Z_]\w*\s*\./ nocase
        $vv_call = /\$\{\s*\$[a-zA-Z_]\w*\s*\}\s*\[[^\]]{1,20}\]\s*\(|\$\$[a-zA-Z_]\w*\s*\[[^\]]{1,20}\]\s*\(\s*\$/
        // a name spelled with chr() of constants and then called: $f = chr(0x73).chr(0x79)...; $f($x)
        $chr_name = /\$[a-zA-Z_]\w*\s*=\s*chr\s*\(\s*(0x[0-9a-fA-F]{2}|\d{2,3})\s*\)(\s*\.\s*chr\s*\(\s*(0x[0-9a-fA-F]{2}|\d{2,3})\s*\)){3,}\s*;/ nocase
        $var_call = /[;{}\s]\$[a-zA-Z_]\w*\s*\(\s*@?\$[a-zA-Z_]\w*\s*\)/
        $php = /<\?(php|=)/ nocase
    condition:
        ($php and $vv_call and filesize < 64KB) or
        (filesize < 4KB and php_user_input and ($pcntl or ($sink_lit and $cb_var) or $eval_glue or ($chr_name and $var_call)))
}

rule php_remote_code_saved_as_script
{
    meta:
        description = "a small script downloads a fixed URL and saves the body under a .php name (or includes it): a dropper that plants the real shell from a paste site; applications that update themselves fetch archives, verify them, and do not write a script from a bare URL in a few lines"
        technique = "dropper"
        score = 70
    strings:
        $fetch = /(file_get_contents|fopen|curl_init|copy)\s*\(\s*['"]https?:\/\/[^'"]{4,200}['"]|\$[a-zA-Z_]\w*\s*=\s*['"]https?:\/\/[^'"]{4,200}['"]\s*;/ nocase
        $get = /(file_get_contents|curl_exec)\s*\(/ nocase
        $write = /(file_put_contents|fwrite)\s*\(/ nocase
        $phpname = /['"][\w\-.\/]{0,60}\.(php[3-7]?|phtml|pht|inc)['"]/ nocase
    condition:
        filesize < 3KB and $fetch and $get and $write and $phpname
}

rule php_command_exec_of_request
{
    meta:
        description = "system/passthru/shell_exec/exec/popen/proc_open or backticks run a command taken from the request"
        technique = "command execution of request data"
        score = 90
    strings:
        // the request inside the call's argument list (not past its closing parenthesis);
        // $_SERVER only where it carries what the client sent (headers, query string)
        $exec = /[^\w>$:](system|passthru|shell_exec|exec|popen|proc_open|pcntl_exec|expect_popen)\s*\(\s*[^;)]{0,120}(\$_(GET|POST|REQUEST|COOKIE)\b|\$_SERVER\s*\[\s*['"](HTTP_|QUERY_STRING|REQUEST_URI|PATH_INFO|PHP_AUTH)|\$\{\s*['"]_(GET|POST|REQUEST|COOKIE)|php:\/\/input|getallheaders\s*\()/ nocase
        // backticks in code position; a comment that quotes `$_POST['x']` is not a command
        $tick = /(echo|print|return|=|\(|\.)\s*`[^`;]{0,40}\$_(GET|POST|REQUEST|COOKIE|SERVER)\s*\[/
    condition:
        any of them
}

rule php_eval_of_decoded_payload
{
    meta:
        description = "eval/assert of a decoded or decompressed string: the base64/gzinflate/str_rot13 chains obfuscated shells unpack with"
        technique = "obfuscated code execution"
        score = 85
    strings:
        $chain = /[^\w>$:](eval|assert)\s*\(\s*@?\s*(gzinflate|gzuncompress|gzdecode|base64_decode|str_rot13|strrev|rawurldecode|urldecode|hex2bin|convert_uudecode|pack|bzdecompress|lzf_decompress|gzinflate|strtr|str_replace|implode|join|chr)\s*\(/ nocase
        $cf = /create_function\s*\([^;]{0,80}(base64_decode|gzinflate|gzuncompress|str_rot13|strrev|hex2bin)\s*\(/ nocase
    condition:
        any of them
}

rule php_preg_replace_eval_modifier
{
    meta:
        description = "preg_replace with the /e modifier (code evaluation, removed in PHP 7) fed from the request or a decoder"
        technique = "preg_replace /e"
        score = 80
    strings:
        $e = /preg_replace\s*\(\s*['"]([\/#@!~|%]).{0,160}[\/#@!~|%][imsxuADSUX]*e[imsxuADSUX]*['"]\s*,[^;]{0,200}(\$_(GET|POST|REQUEST|COOKIE|SERVER)|base64_decode|gzinflate|str_rot13|chr\s*\(|\\x[0-9a-f]{2})/ nocase
        $e_var = /preg_replace\s*\(\s*['"]([\/#@!~|%]).{0,40}[\/#@!~|%][imsxuADSUX]*e[imsxuADSUX]*['"]\s*,\s*@?\$_(GET|POST|REQUEST|COOKIE)/ nocase
        $pattern_from_request = /preg_(replace|filter)\s*\(\s*@?\$_(GET|POST|REQUEST|COOKIE)\s*\[/ nocase
        $filter_e = /preg_filter\s*\(\s*['"]([\/#@!~|%]).{0,160}[\/#@!~|%][imsxuADSUX]*e[imsxuADSUX]*['"]\s*,/ nocase
        // mbstring's ereg replacements take the modifiers as a separate argument
        $e_any = /preg_(replace|filter)\s*\(\s*['"]([\/#@!~|%]).{0,40}[\/#@!~|%][imsxuADSUX]*e[imsxuADSUX]*['"]\s*,/ nocase
        $mb_e = /mb_ereg(i)?_replace\s*\([^;]{0,200},\s*['"][imsxp]*e[imsxp]*['"]\s*\)/ nocase
    condition:
        any of ($e, $e_var, $pattern_from_request, $filter_e, $mb_e) or ($e_any and filesize < 2KB and php_user_input)
}

rule php_hidden_function_name
{
    meta:
        description = "the name of a code- or command-running function written hidden: hex/octal escapes, reversed, rot13, or split into concatenated pieces"
        technique = "obfuscated function name"
        score = 80
    strings:
        // "eval", "assert", "system", "base64_decode", "gzinflate", "create_function", "shell_exec", "passthru" hex-escaped
        $hex_eval = /\\x(65|45)\\x(76|56)\\x(61|41)\\x(6c|4c)/ nocase
        $hex_assert = /\\x(61|41)\\x(73|53)\\x(73|53)\\x(65|45)\\x(72|52)\\x(74|54)/ nocase
        $hex_system = /\\x(73|53)\\x(79|59)\\x(73|53)\\x(74|54)\\x(65|45)\\x(6d|4d)/ nocase
        $hex_b64 = /\\x(62|42)\\x(61|41)\\x(73|53)\\x(65|45)\\x36\\x34\\x5f/ nocase
        $hex_gzinf = /\\x(67|47)\\x(7a|5a)\\x(69|49)\\x(6e|4e)\\x(66|46)/ nocase
        $hex_create = /\\x(63|43)\\x(72|52)\\x(65|45)\\x(61|41)\\x(74|54)\\x(65|45)\\x5f\\x(66|46)/ nocase
        $hex_shell = /\\x(73|53)\\x(68|48)\\x(65|45)\\x(6c|4c)\\x(6c|4c)\\x5f\\x(65|45)/ nocase
        $hex_pass = /\\x(70|50)\\x(61|41)\\x(73|53)\\x(73|53)\\x(74|54)\\x(68|48)\\x(72|52)/ nocase
        $oct_eval = "\\145\\166\\141\\154"
        $oct_assert = "\\141\\163\\163\\145\\162\\164"
        $oct_system = "\\163\\171\\163\\164\\145\\155"
        $oct_b64 = "\\142\\141\\163\\145\\66\\64\\137"
        // reversed and rot13 names inside the call that undoes them
        $rev = /strrev\s*\(\s*['"](lave|tressa|metsys|urhtssap|cexe_llehs|edoced_46esab|etalfnizg|noitcnuf_etaerc|nepop)['"]\s*\)/ nocase
        $rot = /str_rot13\s*\(\s*['"](riny|nffreg|flfgrz|cnffgueh|furyy_rkrp|onfr64_qrpbqr|tmvasyngr|perngr_shapgvba)['"]\s*\)/ nocase
        // "as"."sert", "ba"."se64_decode", "e"."val", "sy"."stem" ...
        $cat = /['"](a['"]\s*\.\s*['"]ssert|as['"]\s*\.\s*['"]sert|ass['"]\s*\.\s*['"]ert|asse['"]\s*\.\s*['"]rt|e['"]\s*\.\s*['"]val|ev['"]\s*\.\s*['"]al|ba['"]\s*\.\s*['"]se64|bas['"]\s*\.\s*['"]e64|base['"]\s*\.\s*['"]64_|base64['"]\s*\.\s*['"]_decode|base64_['"]\s*\.\s*['"]decode|sy['"]\s*\.\s*['"]stem|sys['"]\s*\.\s*['"]tem|syst['"]\s*\.\s*['"]em|gzin['"]\s*\.\s*['"]flate|gz['"]\s*\.\s*['"]inflate|cr['"]\s*\.\s*['"]eate_|crea['"]\s*\.\s*['"]te_f|shel['"]\s*\.\s*['"]l_exec|shell_['"]\s*\.\s*['"]exec|pass['"]\s*\.\s*['"]thru|str_['"]\s*\.\s*['"]rot13)['"]/ nocase
        // chr(101).chr(118).chr(97).chr(108) = eval, chr(97).chr(115)... = as(sert)
        $chr_eval = /chr\s*\(\s*101\s*\)\s*\.\s*chr\s*\(\s*118\s*\)\s*\.\s*chr\s*\(\s*97\s*\)\s*\.\s*chr\s*\(\s*108\s*\)/ nocase
        $chr_assert = /chr\s*\(\s*97\s*\)\s*\.\s*chr\s*\(\s*115\s*\)\s*\.\s*chr\s*\(\s*115\s*\)\s*\.\s*chr\s*\(\s*101\s*\)/ nocase
        $chr_system = /chr\s*\(\s*115\s*\)\s*\.\s*chr\s*\(\s*121\s*\)\s*\.\s*chr\s*\(\s*115\s*\)\s*\.\s*chr\s*\(\s*116\s*\)/ nocase
    condition:
        any of them
}

rule php_variable_function_with_request
{
    meta:
        description = "a variable holding a function name is called on request data, in a file that also names or hides a code/command sink or reads its input indirectly"
        technique = "variable function"
        score = 75
    strings:
        $varcall = /[^\w>$:\\]\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*\(\s*@?\s*\$_(GET|POST|REQUEST|COOKIE|SERVER)\s*\[/
        $varcall2 = /[^\w>$:\\]\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*\(\s*@?\s*(base64_decode|gzinflate|str_rot13|hex2bin)\s*\(\s*@?\$_(GET|POST|REQUEST|COOKIE|SERVER)/ nocase
        $name = /=\s*['"](assert|eval|system|passthru|shell_exec|exec|popen|proc_open|create_function|base64_decode|gzinflate|str_rot13)['"]\s*;/ nocase
        $name2 = /(base64_decode|str_rot13|strrev|hex2bin)\s*\(\s*['"][A-Za-z0-9+\/=]{4,24}['"]\s*\)/ nocase
        $ex = /extract\s*\(\s*\$_(GET|POST|REQUEST|COOKIE)/ nocase
        $ps = /parse_str\s*\(\s*\$_(GET|POST|REQUEST|COOKIE|SERVER)/ nocase
        // after extract()/parse_str() of the request any variable may be attacker-named
        $anycall = /[^\w>$:\\]\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*\(\s*@?\s*\$[a-zA-Z_\x80-\xff]/
    condition:
        $varcall2 or ($varcall and (1 of ($name, $name2, $ex, $ps))) or (filesize < 8KB and $anycall and ($ex or $ps))
}

rule php_indirect_eval_small_script
{
    meta:
        description = "a small script that evaluates a variable and reads the request: the request flows through a variable into eval/assert"
        technique = "code execution of request data (indirect)"
        score = 70
    strings:
        // eval($x), eval($x['k']), eval($a.$b), eval($p."")
        $eval_var = /[^\w>$:](eval|assert)\s*\(\s*@?\s*\$[a-zA-Z_\x80-\xff][\w\x80-\xff]*(\s*\[[^\]]{1,40}\])?(\s*\.\s*(\$[a-zA-Z_\x80-\xff][\w\x80-\xff]*|""|''))*\s*\)/ nocase
        $eval_fn = /[^\w>$:](eval|assert)\s*\(\s*@?\s*\$[a-zA-Z_\x80-\xff][\w\x80-\xff]*\s*\(/ nocase
        // eval("\$array = $data;"): a variable interpolated into evaluated code
        $eval_str = /[^\w>$:](eval|assert)\s*\(\s*"[^"]{0,60}[^\\]\$[a-zA-Z_]/ nocase
        // system($c), exec($c, $out), shell_exec("$c")
        $cmd_var = /[^\w>$:](system|passthru|shell_exec|exec|popen|proc_open)\s*\(\s*@?\s*"?\$[a-zA-Z_]\w*(\s*\[[^\]]{1,40}\])?"?\s*[,)]/ nocase
        // a command sanitised with escapeshellarg/escapeshellcmd is an application's, not a console's
        $escaped = /escapeshell(arg|cmd)\s*\(/ nocase
    condition:
        filesize < 8KB and php_user_input and (any of ($eval_var, $eval_fn, $eval_str) or ($cmd_var and filesize < 3KB and not $escaped))
}

rule php_tiny_eval_of_variable
{
    meta:
        description = "a file of a few lines whose work is to evaluate a variable: the code it runs is assembled or fetched, not written"
        technique = "code execution of assembled code"
        score = 70
    strings:
        $php = "<?" 
        $eval_var = /[^\w>$:](eval|assert)\s*\(\s*@?\s*\$[a-zA-Z_\x80-\xff][\w\x80-\xff]*\s*\)/ nocase
    condition:
        filesize < 600 and $php and $eval_var
}

rule php_small_script_dynamic_call_of_request
{
    meta:
        description = "a small script calls a variable as a function with request data, or takes the callback of a callback-taking function from a variable that holds request data"
        technique = "dynamic function from request"
        score = 80
    strings:
        $varcall = /[^\w>$:\\]\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*\(\s*@?\s*\$_(GET|POST|REQUEST|COOKIE)\s*\[/
        // $x = $_POST['a']; ... $f($x)
        $assign = /\$[a-zA-Z_]\w*\s*=\s*@?\s*(trim\s*\(\s*|base64_decode\s*\(\s*|strrev\s*\(\s*)?\$_(GET|POST|REQUEST|COOKIE)\s*\[/ nocase
        // a call, not `new $class($arg)`: the variable starts a statement or follows an operator
        $varvar = /[;{}()=,!&|.@?\/\n]\s*\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*\(\s*@?\s*\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}(\s*\[[^\]]{1,20}\])?\s*\)/
        $cb_var_first = /(array_map|call_user_func|call_user_func_array|register_tick_function|register_shutdown_function|forward_static_call)\s*\(\s*(\$[a-zA-Z_]\w*|base64_decode\s*\(\s*\$[a-zA-Z_]\w*\s*\))\s*,/ nocase
        $cb_var_later = /(array_filter|array_walk|array_walk_recursive|array_reduce|usort|uasort|uksort|array_udiff|array_uintersect)\s*\([^;]{0,80},\s*(\$[a-zA-Z_]\w*|base64_decode\s*\(\s*\$[a-zA-Z_]\w*\s*\))\s*[,)]/ nocase
        // foreach ($_POST as $k => $v) $$k = $v: the request names the variables (a hand-written extract())
        $manual_extract = /foreach\s*\(\s*(\$\$[a-zA-Z_]\w*|\$_(GET|POST|REQUEST|COOKIE))\s+as\s+\$[a-zA-Z_]\w*\s*=>\s*\$[a-zA-Z_]\w*\s*\)/ nocase
        $varvar_assign = /\$\$[a-zA-Z_]\w*\s*=|\$\{\s*['"][^}]{0,30}\}\s*=/
    condition:
        filesize < 2KB and (
            $varcall or
            ($assign and ($varvar or $cb_var_first or $cb_var_later)) or
            ($manual_extract and $varvar_assign and $varvar)
        )
}

rule php_assembled_name_called
{
    meta:
        description = "a few-line script builds a name by concatenating variables and short pieces, then calls it: the sink's name never appears whole"
        technique = "obfuscated function name"
        score = 75
    strings:
        $php = "<?"
        // $c = $a.$s."sert"; $f = 'as'.$x;
        $assembled = /\$[a-zA-Z_]\w{0,20}\s*=\s*(\$[a-zA-Z_]\w{0,20}|['"][a-zA-Z_]{1,6}['"])(\s*\.\s*(\$[a-zA-Z_]\w{0,20}|['"][a-zA-Z_]{1,6}['"])){1,6}\s*;/
        // called at the start of a statement
        $stmt_call = /[;{}\n]\s*@?\$[a-zA-Z_]\w{0,20}\s*\(\s*[^)\s]/
    condition:
        filesize < 1KB and $php and $assembled and $stmt_call
}

rule php_function_name_from_fragments
{
    meta:
        description = "a small script spells a name out of one- and two-letter string pieces (or many short variables) and calls or evaluates the result"
        technique = "obfuscated function name"
        score = 75
    strings:
        $frag = /(['"][a-zA-Z_(\[$]{1,3}['"]\s*\.\s*){4}['"][a-zA-Z_(\[$\]);]{1,3}['"]/
        $vars = /(\$[a-zA-Z_]\w{0,10}\s*\.\s*){4}\$[a-zA-Z_]\w{0,10}/
        $dyncall = /[^\w>$:\\]\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*\(/
        $eval_var = /[^\w>$:](eval|assert)\s*\(\s*@?\s*\$[a-zA-Z_]\w*\s*\)/ nocase
        $supervar = /\$\$[a-zA-Z_]\w*/
    condition:
        filesize < 4KB and (($frag and ($dyncall or $eval_var or $supervar)) or ($vars and $eval_var))
}

rule php_call_of_decoded_literal
{
    meta:
        description = "a variable function is called on a decoder applied to a long hex or base64 literal, or in the create_function('', ...) shape"
        technique = "obfuscated code execution"
        score = 75
    strings:
        $hexlit = /[^\w>:\\]\$[a-zA-Z_\x80-\xff]?[\w\x80-\xff]{0,30}\s*\(\s*@?\s*[a-zA-Z_]\w*\s*\(\s*['"][0-9A-Fa-f]{32,}['"]/
        $b64lit = /[^\w>:\\]\$[a-zA-Z_\x80-\xff]?[\w\x80-\xff]{0,30}\s*\(\s*@?\s*[a-zA-Z_]\w*\s*\(\s*['"][A-Za-z0-9+\/]{24,}={0,2}['"]\s*\)\s*\)/
        $cf_shape = /[^\w>:\\]\$[a-zA-Z_]\w{0,30}\s*\(\s*(''|"")\s*,\s*@?\s*\$[a-zA-Z_]\w{0,30}\s*\(/
        // $f = <create_function>('', $code); $f();  the made function is called at once
        $cf_call = /\$[a-zA-Z_]\w{0,30}\s*=\s*\$[a-zA-Z_]\w{0,30}\s*\(\s*(''|"")\s*,\s*@?\s*\$[a-zA-Z_]\w{0,30}\s*\)\s*;\s*@?\$[a-zA-Z_]\w{0,30}\s*\(\s*\)/
    condition:
        filesize < 64KB and any of them
}

rule php_write_file_from_request
{
    meta:
        description = "writes a file whose name and content both come from the request (droppers and one-line uploaders)"
        technique = "file write from request"
        score = 80
    strings:
        $fpc = /file_put_contents\s*\(\s*@?\$_(GET|POST|REQUEST|COOKIE)\s*\[[^\]]{1,40}\]\s*,\s*[^;]{0,60}\$_(GET|POST|REQUEST|COOKIE)\s*\[/ nocase
        $fw = /fwrite\s*\(\s*fopen\s*\(\s*@?\$_(GET|POST|REQUEST|COOKIE)\s*\[[^;]{0,80}\$_(GET|POST|REQUEST|COOKIE)\s*\[/ nocase
        $fpc_decode = /file_put_contents\s*\([^;]{0,120}(base64_decode|gzinflate|str_rot13)\s*\(\s*\$_(GET|POST|REQUEST|COOKIE)/ nocase
        $fpc_named_decoded = /file_put_contents\s*\(\s*@?\$_(GET|POST|REQUEST|COOKIE)\s*\[[^\]]{1,40}\]\s*,\s*(base64_decode|gzinflate|gzuncompress|str_rot13|hex2bin)\s*\(/ nocase
        $move_named = /move_uploaded_file\s*(\/\*[^*]{0,20}\*\/\s*)?\(\s*\$_FILES\s*\[[^\]]{1,40}\]\s*\[\s*['"]tmp_name['"]\s*\]\s*,\s*\$_(FILES\s*\[[^\]]{1,40}\]\s*\[\s*['"]name['"]\s*\]|GET|POST|REQUEST)/ nocase
        $copy_named = /[^\w>$:]copy\s*(\/\*[^*]{0,20}\*\/\s*)?\(\s*\$_FILES\s*\[[^\]]{1,40}\]\s*\[\s*['"]tmp_name['"]\s*\]\s*,\s*\$_(FILES\s*\[[^\]]{1,40}\]\s*\[\s*['"]name['"]\s*\]|GET|POST|REQUEST)/ nocase
    condition:
        any of ($fpc, $fw, $fpc_decode, $fpc_named_decoded) or (filesize < 3KB and any of ($move_named, $copy_named))
}

rule php_include_of_request
{
    meta:
        description = "includes or requires a path or stream taken straight from the request (remote/local include backdoors, data:// and php://input payloads)"
        technique = "include of request data"
        score = 75
    strings:
        $inc = /(include|require)(_once)?\s*\(?\s*@?\s*\$_(GET|POST|REQUEST|COOKIE)\s*\[[^\]]{1,40}\]\s*\)?\s*;/ nocase
        // php://input is the request body itself; a data: URI only when the request is spliced into it
        // (template compilers include data: URIs of code they generated)
        $inc_stream = /(include|require)(_once)?\s*\(?\s*['"]php:\/\/input/ nocase
        $inc_data_req = /(include|require)(_once)?\s*\(?\s*['"]data:(\/\/)?text\/plain[^;]{0,80}\$_(GET|POST|REQUEST|COOKIE)/ nocase
    condition:
        any of them
}

rule php_encoded_blob_with_sink
{
    meta:
        description = "a long base64 or hex blob in a script that also decodes and evaluates: packed shells (FilesMan/WSO-style loaders and crypters)"
        technique = "packed payload"
        score = 80
    strings:
        $b64 = /['"][A-Za-z0-9+\/]{2000}/
        $pem = /['"]LS0tLS1CRUdJTi/
        $hexblob = /['"](\\x[0-9a-fA-F]{2}){300}/
        $dec = /(base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|hex2bin|convert_uudecode|bzdecompress)\s*\(/ nocase
        $sink = /[^\w>$:](eval|assert|create_function|preg_replace|call_user_func|array_map)\s*\(/ nocase
        $varsink = /\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*\(\s*\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*\(/
    condition:
        (($b64 and not $pem) or $hexblob) and $dec and ($sink or $varsink)
}

rule php_shell_toolkit
{
    meta:
        description = "a file manager / command console: several command sinks, server reconnaissance and request input in one script (c99, r57, WSO, b374k families)"
        technique = "webshell console"
        score = 85
    strings:
        $x1 = /[^\w>$:]system\s*\(/ nocase
        $x2 = /[^\w>$:]passthru\s*\(/ nocase
        $x3 = /[^\w>$:]shell_exec\s*\(/ nocase
        $x4 = /[^\w>$:]exec\s*\(/ nocase
        $x5 = /[^\w>$:]popen\s*\(/ nocase
        $x6 = /[^\w>$:]proc_open\s*\(/ nocase
        $r1 = /php_uname\s*\(/ nocase
        $r2 = /posix_getpwuid\s*\(/ nocase
        $r3 = /ini_get\s*\(\s*['"](disable_functions|safe_mode|open_basedir)['"]/ nocase
        $r4 = "uname -a"
        $r5 = /(disk_free_space|disk_total_space)\s*\(/ nocase
        $r6 = /getmyuid\s*\(|get_current_user\s*\(/ nocase
        $r7 = /fileperms\s*\(/ nocase
        $r8 = /(\/etc\/passwd|cat \/etc|netstat -an|ps aux|whoami)/ nocase
        // a console runs what it is given: at least one sink takes a variable, not a literal command
        $var_arg = /[^\w>$:](system|passthru|shell_exec|exec|popen|proc_open)\s*\(\s*@?\$/ nocase
        // and it is driven from the browser: a command field or a command-like request key
        $req_cmd = /\$_(POST|GET|REQUEST|COOKIE)\s*\[\s*['"]?(cmd|command|c|p1|p2|a|act|e|ev|exec|shell|execute)['"]?\s*\]/ nocase
        $form_cmd = /name\s*=\s*\\?['"]?(cmd|command|p1|c|exec|execute)\\?['"]?[\s>\/]/ nocase
    condition:
        php_request_source and 2 of ($x*) and 3 of ($r*) and $var_arg and ($req_cmd or $form_cmd)
}

rule php_reverse_shell
{
    meta:
        description = "connects out and hands the socket to a shell"
        technique = "reverse or bind shell"
        score = 85
    strings:
        $sock = /(fsockopen|pfsockopen|socket_create|stream_socket_client|stream_socket_server|socket_bind)\s*\(/ nocase
        $sh = /['"](\/bin\/(ba|z|k|c|tc)?sh|cmd(\.exe)?)( -i)?['"]/ nocase
        $run = /(proc_open|popen|shell_exec|system|passthru|exec)\s*\(/ nocase
    condition:
        filesize < 64KB and $sock and $sh and $run
}

rule php_socket_tunnel
{
    meta:
        description = "HTTP-to-TCP tunnel server side (reGeorg/Neo-reGeorg/Tunna families): request-driven CONNECT/FORWARD/READ/DISCONNECT over sockets"
        technique = "tunnel"
        score = 85
    strings:
        $sock = /(fsockopen|socket_create|stream_socket_client|socket_connect)\s*\(/ nocase
        $c1 = "CONNECT"
        $c2 = "DISCONNECT"
        $c3 = "FORWARD"
        $c4 = "READ"
        $h1 = "X-CMD" nocase
        $h2 = "X-STATUS" nocase
        $h3 = "X-ERROR" nocase
        $h4 = "X-TARGET" nocase
        $h5 = "HTTP_X_CMD" nocase
    condition:
        $sock and php_request_source and (3 of ($c*) or 2 of ($h*))
}

rule php_code_in_image
{
    meta:
        description = "an image (GIF/PNG/JPEG header) carrying PHP code that reads the request or runs code: the upload-filter bypass"
        technique = "polyglot image"
        score = 85
    strings:
        $php = /<\?(php|=)?[\s\S]{0,400}(eval|assert|system|passthru|shell_exec|base64_decode|\$_(GET|POST|REQUEST|COOKIE))/ nocase
    condition:
        (uint32(0) == 0x38464947 or uint32(0) == 0x474e5089 or uint16(0) == 0xd8ff) and $php
}

rule php_auth_gated_eval
{
    meta:
        description = "a request value is hashed and compared with a constant, and the script evaluates or runs something: the password gate of private shells"
        technique = "password-gated backdoor"
        score = 75
    strings:
        $gate = /(md5|sha1|crc32|hash)\s*\(\s*[^;]{0,40}\$_(GET|POST|REQUEST|COOKIE|SERVER)\s*\[[^\]]{1,40}\][^;]{0,20}\)\s*[=!]==?\s*['"][0-9a-fA-F]{8,64}['"]/ nocase
        $sink = /[^\w>$:](eval|assert|system|passthru|shell_exec|create_function|proc_open|popen)\s*\(/ nocase
    condition:
        filesize < 64KB and $gate and $sink
}

rule php_disable_functions_bypass
{
    meta:
        description = "tricks that run a command when the command functions are disabled: LD_PRELOAD with mail(), FFI calls into libc, imap_open's ProxyCommand, loading an extension at run time"
        technique = "sandbox bypass"
        score = 80
    strings:
        $ldpre = /putenv\s*\(\s*['"]LD_PRELOAD/ nocase
        $ffi = /FFI\s*::\s*cdef\s*\([^;]{0,200}(system|popen|execve)/ nocase
        $imap = /imap_open\s*\([^;]{0,200}ProxyCommand/ nocase
        $dl = /[^\w>$:]dl\s*\(\s*['"$][^;]{0,60}\.so/ nocase
        $ini = /ini_set\s*\(\s*['"]disable_functions['"]/ nocase
    condition:
        any of them
}

rule php_request_reaches_reflection_or_unserialize
{
    meta:
        description = "a small script hands request data to reflection (ReflectionFunction, Closure::fromCallable), to unserialize(), or includes an uploaded file straight from its temporary name"
        technique = "code execution of request data (alternative sinks)"
        score = 75
    strings:
        $refl = /new\s+ReflectionFunction\s*\(\s*@?\$_(GET|POST|REQUEST|COOKIE)|Closure\s*::\s*fromCallable\s*\(\s*@?\$_(GET|POST|REQUEST|COOKIE)/ nocase
        $unser = /unserialize\s*\(\s*@?\s*(base64_decode\s*\(\s*|gzinflate\s*\(\s*|urldecode\s*\(\s*)?\$_(GET|POST|REQUEST|COOKIE)/ nocase
        $inc_upload = /(include|require)(_once)?\s*\(?\s*\$_FILES\s*\[[^\]]{1,40}\]\s*\[\s*['"]tmp_name['"]\s*\]/ nocase
        $by_index = /get_defined_functions\s*\(\s*\)\s*\[/ nocase
    condition:
        filesize < 16KB and any of them
}

rule php_sink_called_by_name
{
    meta:
        description = "a code or command sink is called through its name: ReflectionFunction on eval-like functions, or XSLT stylesheets allowed to call PHP functions"
        technique = "indirect call of a sink"
        score = 75
    strings:
        $refl = /new\s+ReflectionFunction\s*\(\s*['"](system|passthru|shell_exec|exec|popen|proc_open|assert|create_function)['"]/ nocase
        $xslt = /registerPHPFunctions\s*\(/ nocase
        $xslt_sink = /php:function\s*\(\s*\\?['"](assert|system|passthru|shell_exec|exec|eval|create_function)|:function\s*\(\s*\\?['"](assert|system|passthru|shell_exec|exec)/ nocase
    condition:
        filesize < 64KB and ($refl or ($xslt and $xslt_sink))
}

/*
  Session 5 additions. Each rule below names a technique seen in webshells
  found in the wild (hidden superglobals, sink names spelled out of pieces,
  comments wedged between a function and its parenthesis, packed payloads
  cut into lines or string pieces, self-deleting droppers, ...) and says in
  its comment why benign application code does not look like it.
*/

private rule php_code_marker
{
    strings:
        $php = "<?php" nocase
        $short = /<\?[\s=]/
    condition:
        any of them
}

rule php_hidden_superglobal
{
    meta:
        description = "a superglobal reached through a variable variable whose name is built at run time (${$x}['k'], $$x['k']), next to eval/assert or a call of a variable: the request is read without writing $_POST"
        technique = "hidden request source"
        score = 80
    strings:
        // ${$name}['key'] / ${ $name }[ 'key' ] / $$name['key']
        $vv_index = /\$\{\s*\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*\}\s*\[/
        $vv_index2 = /[^$]\$\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*\[\s*['"]/
        // the name of the superglobal built as a string: "_PO"."ST", strtoupper("_post"), chr(95).chr(80)...
        $sg_built = /['"]_(P|PO|POS|G|GE|R|REQ|REQU|C|COO)['"]\s*\.\s*['"](OST|ST|T|ET|T|UEST|EST|ST|OKIE|KIE)['"]/ nocase
        $sg_case = /strtoupper\s*\(\s*['"]_(post|get|request|cookie)['"]\s*\)/ nocase
        $sg_chr = /chr\s*\(\s*95\s*\)\s*\.\s*chr\s*\(\s*(80|71|82|67)\s*\)/
        $sink = /[^\w>$:](eval|assert)\s*\(/ nocase
        $dyncall = /[;{}()\n]\s*@?\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*\(/
        // $GLOBALS['_POST'] written through a variable key, or getenv/array_values($_SERVER) picking a header by position
        $sv_values = /array_values\s*\(\s*\$_SERVER\s*\)/ nocase
    condition:
        filesize < 256KB and (
            (($vv_index or $vv_index2) and ($sink or $dyncall) and filesize < 16KB) or
            (any of ($sg_built, $sg_case, $sg_chr) and ($sink or $dyncall)) or
            ($sv_values and ($sink or $dyncall))
        )
}

rule php_sink_name_split_by_concatenation
{
    meta:
        description = "the name of a code- or command-running function written in pieces joined by '.', quoted or as bare words ('as'.'sert', a.s.sert, \"e\".\"v\".\"a\".\"l\"): the name never appears whole, so the match is only counted when it is longer than the name"
        technique = "obfuscated function name"
        score = 75
    strings:
        $assert = /a(\s*['"]?\s*\.\s*['"]?\s*)?s(\s*['"]?\s*\.\s*['"]?\s*)?s(\s*['"]?\s*\.\s*['"]?\s*)?e(\s*['"]?\s*\.\s*['"]?\s*)?r(\s*['"]?\s*\.\s*['"]?\s*)?t/
        $eval = /[^\w]e(\s*['"]?\s*\.\s*['"]?\s*)?v(\s*['"]?\s*\.\s*['"]?\s*)?a(\s*['"]?\s*\.\s*['"]?\s*)?l[^\w]/
        $system = /s(\s*['"]?\s*\.\s*['"]?\s*)?y(\s*['"]?\s*\.\s*['"]?\s*)?s(\s*['"]?\s*\.\s*['"]?\s*)?t(\s*['"]?\s*\.\s*['"]?\s*)?e(\s*['"]?\s*\.\s*['"]?\s*)?m[^\w]/
        $create = /c(\s*['"]?\s*\.\s*['"]?\s*)?r(\s*['"]?\s*\.\s*['"]?\s*)?e(\s*['"]?\s*\.\s*['"]?\s*)?a(\s*['"]?\s*\.\s*['"]?\s*)?t(\s*['"]?\s*\.\s*['"]?\s*)?e(\s*['"]?\s*\.\s*['"]?\s*)?_(\s*['"]?\s*\.\s*['"]?\s*)?f(\s*['"]?\s*\.\s*['"]?\s*)?u(\s*['"]?\s*\.\s*['"]?\s*)?n(\s*['"]?\s*\.\s*['"]?\s*)?c(\s*['"]?\s*\.\s*['"]?\s*)?t(\s*['"]?\s*\.\s*['"]?\s*)?i(\s*['"]?\s*\.\s*['"]?\s*)?o(\s*['"]?\s*\.\s*['"]?\s*)?n/
        $b64 = /b(\s*['"]?\s*\.\s*['"]?\s*)?a(\s*['"]?\s*\.\s*['"]?\s*)?s(\s*['"]?\s*\.\s*['"]?\s*)?e(\s*['"]?\s*\.\s*['"]?\s*)?6(\s*['"]?\s*\.\s*['"]?\s*)?4(\s*['"]?\s*\.\s*['"]?\s*)?_(\s*['"]?\s*\.\s*['"]?\s*)?d(\s*['"]?\s*\.\s*['"]?\s*)?e(\s*['"]?\s*\.\s*['"]?\s*)?c(\s*['"]?\s*\.\s*['"]?\s*)?o(\s*['"]?\s*\.\s*['"]?\s*)?d(\s*['"]?\s*\.\s*['"]?\s*)?e/
        $preg = /p(\s*['"]?\s*\.\s*['"]?\s*)?r(\s*['"]?\s*\.\s*['"]?\s*)?e(\s*['"]?\s*\.\s*['"]?\s*)?g(\s*['"]?\s*\.\s*['"]?\s*)?_(\s*['"]?\s*\.\s*['"]?\s*)?r(\s*['"]?\s*\.\s*['"]?\s*)?e(\s*['"]?\s*\.\s*['"]?\s*)?p(\s*['"]?\s*\.\s*['"]?\s*)?l(\s*['"]?\s*\.\s*['"]?\s*)?a(\s*['"]?\s*\.\s*['"]?\s*)?c(\s*['"]?\s*\.\s*['"]?\s*)?e/
        $gzinf = /g(\s*['"]?\s*\.\s*['"]?\s*)?z(\s*['"]?\s*\.\s*['"]?\s*)?i(\s*['"]?\s*\.\s*['"]?\s*)?n(\s*['"]?\s*\.\s*['"]?\s*)?f(\s*['"]?\s*\.\s*['"]?\s*)?l(\s*['"]?\s*\.\s*['"]?\s*)?a(\s*['"]?\s*\.\s*['"]?\s*)?t(\s*['"]?\s*\.\s*['"]?\s*)?e/
        $shexec = /s(\s*['"]?\s*\.\s*['"]?\s*)?h(\s*['"]?\s*\.\s*['"]?\s*)?e(\s*['"]?\s*\.\s*['"]?\s*)?l(\s*['"]?\s*\.\s*['"]?\s*)?l(\s*['"]?\s*\.\s*['"]?\s*)?_(\s*['"]?\s*\.\s*['"]?\s*)?e(\s*['"]?\s*\.\s*['"]?\s*)?x(\s*['"]?\s*\.\s*['"]?\s*)?e(\s*['"]?\s*\.\s*['"]?\s*)?c/
        $passthru = /p(\s*['"]?\s*\.\s*['"]?\s*)?a(\s*['"]?\s*\.\s*['"]?\s*)?s(\s*['"]?\s*\.\s*['"]?\s*)?s(\s*['"]?\s*\.\s*['"]?\s*)?t(\s*['"]?\s*\.\s*['"]?\s*)?h(\s*['"]?\s*\.\s*['"]?\s*)?r(\s*['"]?\s*\.\s*['"]?\s*)?u/
        $dyncall = /[;{}()\n]\s*@?\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*\(/
        $sink = /[^\w>$:](eval|assert|preg_replace|create_function|call_user_func|array_map)\s*\(/ nocase
    condition:
        php_code_marker and filesize < 64KB and ($dyncall or $sink) and (
            for any i in (1..#assert) : (!assert[i] > 7) or
            for any i in (1..#eval) : (!eval[i] > 7) or
            for any i in (1..#system) : (!system[i] > 8) or
            for any i in (1..#create) : (!create[i] > 15) or
            for any i in (1..#b64) : (!b64[i] > 13) or
            for any i in (1..#preg) : (!preg[i] > 12) or
            for any i in (1..#gzinf) : (!gzinf[i] > 9) or
            for any i in (1..#shexec) : (!shexec[i] > 10) or
            for any i in (1..#passthru) : (!passthru[i] > 8)
        )
}

rule php_sink_name_cut_from_literal
{
    meta:
        description = "a string function cuts, trims, reverses, re-cases or strips junk from a literal that hides a code- or command-running function name (str_replace('x','','cxrexate_function'), substr('xxassertxx',2,6), rtrim('assert hello',' hello')), and a variable is then called"
        technique = "obfuscated function name"
        score = 80
    strings:
        // junk-interleaved names inside the subject of a replace that deletes the junk
        $junk_replace = /(str_replace|str_ireplace|preg_replace)\s*\(\s*['"][^'"]{1,6}['"]\s*,\s*(''|"")\s*,\s*['"][^'"]{0,8}(c[^'"]{0,6}r[^'"]{0,6}e[^'"]{0,6}a[^'"]{0,6}t[^'"]{0,6}e[^'"]{0,6}_[^'"]{0,6}f[^'"]{0,6}u[^'"]{0,6}n[^'"]{0,6}c|b[^'"]{0,6}a[^'"]{0,6}s[^'"]{0,6}e[^'"]{0,6}6[^'"]{0,6}4|a[^'"]{0,6}s[^'"]{0,6}s[^'"]{0,6}e[^'"]{0,6}r[^'"]{0,6}t|s[^'"]{0,6}t[^'"]{0,6}r[^'"]{0,6}_[^'"]{0,6}r[^'"]{0,6}e[^'"]{0,6}p|g[^'"]{0,6}z[^'"]{0,6}i[^'"]{0,6}n[^'"]{0,6}f|e[^'"]{0,6}v[^'"]{0,6}a[^'"]{0,6}l|s[^'"]{0,6}y[^'"]{0,6}s[^'"]{0,6}t[^'"]{0,6}e[^'"]{0,6}m|p[^'"]{0,6}r[^'"]{0,6}e[^'"]{0,6}g[^'"]{0,6}_)[^'"]{0,30}['"]/ nocase
        // a sink name with extra text around it, given to a function that cuts or changes it
        $cut = /(substr|substr_replace|str_replace|str_ireplace|rtrim|ltrim|trim|ucfirst|ucwords|strrev|strtolower|strtoupper|str_rot13)\s*\(\s*['"]?[\w ]{0,12}(assert|eval|system|passthru|shell_exec|create_function|base64_decode|gzinflate|preg_replace|call_user_func)[\w ]{1,12}['"]?\s*[,)]/ nocase
        $cut_pre = /(substr|substr_replace|str_replace|str_ireplace|rtrim|ltrim|trim|ucfirst|strrev|strtolower|strtoupper)\s*\(\s*['"]?[\w ]{1,12}(assert|eval|system|passthru|shell_exec|create_function|base64_decode|gzinflate)[\w ]{0,12}['"]?\s*[,)]/ nocase
        $dyncall = /[;{}()\n=]\s*@?\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*\(/
    condition:
        php_code_marker and filesize < 64KB and $dyncall and ($junk_replace or
            (filesize < 8KB and ($cut or $cut_pre)))
}

rule php_chars_picked_from_literal
{
    meta:
        description = "a name is assembled by picking single characters out of a scrambled literal by index ($k[18].$k[29].$k[12]...) or from chr() codes, and the result is called or evaluated"
        technique = "obfuscated function name"
        score = 75
    strings:
        $idx = /(\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*[\[{]\s*\d{1,3}\s*[\]}]\s*\.\s*){5}\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*[\[{]\s*\d{1,3}\s*[\]}]/
        // a scrambled alphabet is longer than a date or a match array: some index has two digits
        $idx2 = /\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*[\[{]\s*[1-9]\d\s*[\]}]\s*\.\s*\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*[\[{]\s*\d{1,2}\s*[\]}]|\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*[\[{]\s*\d{1,2}\s*[\]}]\s*\.\s*\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*[\[{]\s*[1-9]\d\s*[\]}]/
        $chrs = /(chr\s*\(\s*\d{2,3}\s*\)\s*\.\s*(['"][^'"]{0,2}['"]\s*\.\s*)?){6}/ nocase
        $fchrs = /(\$[a-zA-Z_]\w{0,20}\s*\(\s*\d{2,3}\s*\)\s*\.\s*){6}/
        $dyncall = /[;{}()\n=]\s*@?\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*\(/
        $sink = /[^\w>$:](eval|assert|create_function|preg_replace|call_user_func)\s*\(/ nocase
        $input = /\$_(GET|POST|REQUEST|COOKIE|SERVER|FILES)\b|\$\{\s*\$|getenv\s*\(/ nocase
    condition:
        php_code_marker and filesize < 64KB and ($dyncall or $sink) and (
            ($idx and $idx2) or
            (($chrs or $fchrs) and ($sink or $input))
        )
}

rule php_comment_inside_call
{
    meta:
        description = "a comment wedged between a code/command sink and its parenthesis (eval/*x*/(...), move_uploaded_file/*;*/(...)): written only to break signatures, never by application authors"
        technique = "signature evasion"
        score = 80
    strings:
        $c = /[^\w>$:](eval|assert|system|passthru|shell_exec|exec|popen|proc_open|create_function|base64_decode|gzinflate|gzuncompress|str_rot13|move_uploaded_file|file_put_contents|fwrite|preg_replace|call_user_func|array_map|include|require)\s*\/\*[^*]{0,60}\*\/\s*\(/ nocase
        $c2 = /\$_(GET|POST|REQUEST|COOKIE|FILES)\s*\/\*[^*]{0,60}\*\/\s*\[/
    condition:
        php_code_marker and ($c or $c2)
}

rule php_eval_of_packed_literal
{
    meta:
        description = "evaluates the output of a function applied to a long encoded literal, or decodes a payload cut into many lines or string pieces: packers that avoid one long base64 run"
        technique = "packed payload"
        score = 80
    strings:
        // eval(f("...200+ base64 chars...")) / eval(f($v, $map)) where $v is a long literal
        $eval_fn_lit = /[^\w>$:](eval|assert)\s*(\/\*[^*]{0,40}\*\/\s*)?\(\s*@?\s*[a-zA-Z_]\w{0,40}\s*\(\s*['"][A-Za-z0-9+\/=\r\n]{200}/ nocase
        $eval_fn_var = /[^\w>$:](eval|assert)\s*(\/\*[^*]{0,40}\*\/\s*)?\(\s*@?\s*[a-zA-Z_]\w{0,40}\s*\(\s*\$[a-zA-Z_]\w{0,40}\s*(,\s*\$[a-zA-Z_]\w{0,40}\s*)?\)\s*\)/ nocase
        // a base64 payload in many lines or in many concatenated pieces
        $b64line = /\n[A-Za-z0-9+\/]{64,200}\r?\n/
        $b64cat = /(['"][A-Za-z0-9+\/=]{40,400}['"]\s*\.\s*){6}/
        $b64long = /['"][A-Za-z0-9+\/]{1000}/
        $pem = /-----BEGIN|LS0tLS1CRUdJTi/
    condition:
        php_code_marker and not $pem and (
            ($eval_fn_lit) or
            ($eval_fn_var and (#b64line >= 8 or $b64cat or $b64long))
        )
}

rule php_self_deleting_dropper
{
    meta:
        description = "a script that deletes itself (unlink(__FILE__)) after writing files, fetching code, logging a user in or running code: droppers and one-shot backdoors; applications do not erase their own source"
        technique = "dropper"
        score = 80
    strings:
        $self = /unlink\s*\(\s*(__FILE__|\$_SERVER\s*\[\s*['"]SCRIPT_FILENAME['"]\s*\])\s*\)/ nocase
        $write = /(file_put_contents|fwrite|fputs|copy|move_uploaded_file)\s*\(/ nocase
        $fetch = /(curl_exec|file_get_contents\s*\(\s*['"]https?:|fsockopen)\s*\(?/ nocase
        $login = /wp_set_auth_cookie|wp_set_current_user/
        $run = /[^\w>$:](eval|assert|system|shell_exec|passthru|exec)\s*\(/ nocase
    condition:
        filesize < 64KB and $self and any of ($write, $fetch, $login, $run)
}

rule php_write_to_requested_path
{
    meta:
        description = "a small script opens a file for writing and writes to it in one expression (fwrite(fopen($p,'w'),$c)) where the path or content is taken from the request: the one-line file dropper"
        technique = "file write from request"
        score = 75
    strings:
        $fwfo = /(fwrite|fputs)\s*\(\s*@?\s*fopen\s*\(/ nocase
        $fopen_req = /fopen\s*\(\s*[^;]{0,60}\$_(GET|POST|REQUEST|COOKIE)\s*\[[^;]{0,40},\s*['"][wax]b?\+?['"]\s*\)/ nocase
        $fpc_req_path = /file_put_contents\s*\(\s*[^;,]{0,60}\$_(GET|POST|REQUEST|COOKIE)\s*\[[^,;]{0,40},\s*[^;]{0,60}\$_(GET|POST|REQUEST|COOKIE)/ nocase
    condition:
        php_code_marker and (
            ($fwfo and php_user_input and filesize < 4KB) or
            ($fopen_req and filesize < 4KB) or
            $fpc_req_path
        )
}

rule php_extract_then_eval
{
    meta:
        description = "extract() or parse_str() turns request parameters into variables and the script evaluates or calls one of them (extract($_REQUEST) && assert($x))"
        technique = "code execution of request data (indirect)"
        score = 80
    strings:
        $ex = /(extract|parse_str|import_request_variables)\s*\(\s*@?\$_(GET|POST|REQUEST|COOKIE|SERVER)/ nocase
        $sink = /[^\w>$:](eval|assert|create_function)\s*\(\s*@?\s*(stripslashes|base64_decode|trim|urldecode|str_rot13)?\s*\(?\s*\$[a-zA-Z_]/ nocase
    condition:
        php_code_marker and filesize < 16KB and $ex and $sink
}

rule php_regex_e_modifier_literal
{
    meta:
        description = "a regular expression literal with the /e (evaluate) modifier handed to a callback-taking or replace function through an array or a variable, in a script that reads the request"
        technique = "preg_replace /e"
        score = 75
    strings:
        $e_lit = /['"]([\/|#~@!%])(\.\*|\.\+|\[[^\]'"]{1,20}\][*+]?|[a-z]{1,12})[\/|#~@!%][imsxuADSUX]*e[imsxuADSUX]*['"]/
        $use = /(array_walk|array_map|preg_replace|preg_filter|call_user_func|call_user_func_array|mb_ereg_replace)\s*\(|=>\s*['"][\/|#~@!%]/ nocase
    condition:
        php_code_marker and filesize < 16KB and php_user_input and $e_lit and $use
}

rule php_code_in_comment_or_config_callback
{
    meta:
        description = "code hidden where parsers hand it to a function: doc comments read back with getDocComment() and called, YAML tags mapped to callbacks, sessions/stream wrappers used as the carrier of a callback"
        technique = "indirect call of a sink"
        score = 75
    strings:
        $doc = /getDocComment\s*\(\s*\)/
        $dyncall = /[;{}()\n]\s*@?\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*\(\s*\$/
        $yaml_cb = /yaml_parse\s*\([^;]{0,300}=>\s*['"](preg_replace|assert|system|passthru|create_function|call_user_func|eval)['"]/ nocase
        $yaml_req = /yaml_parse\s*\([^;]{0,300}\$_(GET|POST|REQUEST|COOKIE)/ nocase
    condition:
        php_code_marker and filesize < 16KB and (($doc and $dyncall) or $yaml_cb or $yaml_req)
}

rule php_fork_bomb
{
    meta:
        description = "forks forever (while(1) pcntl_fork()): a denial-of-service payload planted on a web server"
        technique = "denial of service"
        score = 60
    strings:
        $f = /(while|for)\s*\(\s*(1|true|;;)\s*\)\s*\{?\s*@?pcntl_fork\s*\(/ nocase
    condition:
        $f
}

rule php_hex_escaped_letters_with_sink
{
    meta:
        description = "words half written as \\x escapes (\"\\x65\\x76al\\x28\" is eval() in a script that evaluates or calls a variable: applications escape binary bytes or whole character tables, not a few letters inside a word"
        technique = "obfuscated code"
        score = 75
    strings:
        // an escaped letter, one to three plain letters, another escaped letter: a word half hidden
        // (tables of escaped characters, as Unicode libraries keep, escape every letter)
        $mixed = /\\x(4[1-9a-fA-F]|5[0-9aA]|6[1-9a-fA-F]|7[0-9aA])[a-zA-Z_]{1,3}\\x(4[1-9a-fA-F]|5[0-9aA]|6[1-9a-fA-F]|7[0-9aA]|28|5[fF])/
        $sink = /[^\w>$:](eval|assert|create_function|preg_replace)\s*\(/ nocase
        $dyncall = /[;{}()\n=]\s*@?\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*\(/
    condition:
        php_code_marker and filesize < 64KB and #mixed >= 2 and ($sink or $dyncall)
}

rule php_bitwise_string_construction
{
    meta:
        description = "strings computed by XOR/OR/AND of string literals and bare words ('W2vzV'^SJJs, '(T'|'!9'), many times over, in a script that calls a variable: the generator-made obfuscation that leaves no name, no decoder and no request variable readable"
        technique = "obfuscated code"
        score = 80
    strings:
        $op = /['"][^'"\r\n]{1,30}['"]\s*[\^|&]\s*['"][^'"\r\n]{1,30}['"]/
        // a bare word (an undefined constant PHP reads as a string) as an operand, no space around
        // the operator: the generator's hallmark, and what tells its output from quoted text like '&amp;'
        // (XOR and OR only: '&' followed by a word is how HTML entities are written)
        $bw1 = /['"][^'"\r\n]{1,30}['"][\^|][A-Za-z_][A-Za-z0-9_]{1,30}\b/
        $bw2 = /\b[A-Za-z_][A-Za-z0-9_]{1,30}[\^|]['"][^'"\r\n]{1,30}['"]/
        $dyncall = /[;{}()\n]\s*@?\$[a-zA-Z_\x80-\xff][\w\x80-\xff]{0,30}\s*\(/
    condition:
        php_code_marker and filesize < 64KB and (#bw1 + #bw2) >= 3 and (#op + #bw1 + #bw2) >= 8 and #dyncall >= 2
}

rule php_writes_encoded_php
{
    meta:
        description = "decodes and writes or evaluates a base64 literal that starts with '<?php' or '<?' (PD9waHA, PD8): a dropper carrying its payload as an encoded PHP file"
        technique = "dropper"
        score = 80
    strings:
        $b64php = /['"](PD9waHA|PD8|PD9QSFA|IDw\/cGhw)[A-Za-z0-9+\/=]{16,}/
        $dec = /base64_decode\s*\(/ nocase
        $use = /(fwrite|fputs|file_put_contents|eval|assert|include|require)\s*\(/ nocase
    condition:
        filesize < 256KB and $b64php and $dec and $use
}

rule php_reflection_of_request
{
    meta:
        description = "a small script builds a ReflectionFunction (or ReflectionMethod) from a value decoded out of the request (json_decode/unserialize of $_GET) and invokes it"
        technique = "indirect call of a sink"
        score = 75
    strings:
        $decode_req = /(json_decode|unserialize|base64_decode)\s*\(\s*\$_(GET|POST|REQUEST|COOKIE)/ nocase
        $refl = /new\s+Reflection(Function|Method)\s*\(\s*\$/ nocase
        $invoke = /->\s*invoke(Args)?\s*\(/ nocase
    condition:
        php_code_marker and filesize < 4KB and $decode_req and $refl and $invoke
}

rule php_com_shell_object
{
    meta:
        description = "PHP creates Windows COM objects that run commands or manage accounts (WScript.Shell, Shell.Application, Shell.Users): the Windows console of PHP shells"
        technique = "command execution"
        score = 75
    strings:
        $com = /new\s+COM\s*\(\s*['"](WScript\.Shell|Shell\.Application|Shell\.Users|WScript\.Network)['"]/ nocase
    condition:
        php_code_marker and $com
}
