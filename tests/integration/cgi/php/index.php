<?php
// The application's front page: index.php answers for "/".
header('Content-Type: text/plain');
echo "php index\n";
echo "SCRIPT_NAME=", $_SERVER['SCRIPT_NAME'], "\n";
