<?php
header('Content-Type: text/plain');
echo "this is page.php, query ", $_SERVER['QUERY_STRING'], ", method ", $_SERVER['REQUEST_METHOD'], "\n";
