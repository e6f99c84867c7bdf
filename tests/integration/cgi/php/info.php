<?php
// What php-cgi saw: its meta-variables, its ini settings, its argv.
// SOURCE-MARKER-5e1f: this comment must never reach a client.
header('Content-Type: text/plain');
foreach (['SCRIPT_NAME', 'PATH_INFO', 'PATH_TRANSLATED', 'SCRIPT_FILENAME', 'QUERY_STRING',
          'REQUEST_METHOD', 'REQUEST_URI', 'HTTP_PROXY', 'HTTP_X_FOO', 'HTTP_AUTHORIZATION'] as $key) {
    echo $key, '=', $_SERVER[$key] ?? '(unset)', "\n";
}
echo 'getenv(HTTP_PROXY)=', var_export(getenv('HTTP_PROXY'), true), "\n";
echo 'allow_url_include=', var_export(ini_get('allow_url_include'), true), "\n";
echo 'auto_prepend_file=', var_export(ini_get('auto_prepend_file'), true), "\n";
echo 'argv=', json_encode($_SERVER['argv'] ?? null), "\n";
echo "info done\n";
