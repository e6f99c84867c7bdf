<?php
// The demo application for PHP-FPM (behind nginx) and Apache mod_php: `this is server`,
// or, when the query contains `sleep` (`?sleep=N`, default 2, at most 60), busy for N
// seconds first, like forkd's demo handler.
header('Content-Type: text/html; charset=utf-8');
$query = $_SERVER['QUERY_STRING'] ?? '';
if (stripos($query, 'sleep') !== false) {
    $seconds = isset($_GET['sleep']) && $_GET['sleep'] !== '' ? (int) $_GET['sleep'] : 2;
    sleep(max(0, min($seconds, 60)));
    $body = '繁忙等待';
} else {
    $body = 'this is server';
}
// Content-Length, as forkd sends: otherwise nginx and Apache answer chunked.
header('Content-Length: ' . strlen($body));
echo $body;
