<?php
header('Content-Type: text/plain');
echo "this is other.php\n";
