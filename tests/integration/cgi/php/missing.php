<?php
header('Status: 404 Not Found');
header('Content-Type: text/plain');
echo "no such thing here\n";
