<?php
// A visit counter kept in the session (the directory comes from cgi_env).
session_save_path(getenv('PHP_SESSION_DIR'));
session_start();
$_SESSION['visits'] = ($_SESSION['visits'] ?? 0) + 1;
header('Content-Type: text/plain');
echo 'visits=', $_SESSION['visits'], "\n";
