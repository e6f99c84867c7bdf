<?php
header('Content-Type: text/plain');
if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    echo "send a POST\n";
    exit;
}
echo 'name=', $_POST['name'] ?? '', "\n";
echo 'colour=', $_POST['colour'] ?? '', "\n";
echo 'count=', count($_POST), "\n";
