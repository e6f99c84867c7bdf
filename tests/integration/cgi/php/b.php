<?php
header('Content-Type: text/plain');
echo "script b\n";
