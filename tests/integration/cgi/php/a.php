<?php
header('Content-Type: text/plain');
echo "script a, PATH_INFO=", $_SERVER['PATH_INFO'] ?? '(unset)', ", SCRIPT_NAME=", $_SERVER['SCRIPT_NAME'], "\n";
