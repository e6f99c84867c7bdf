<?php
// A client redirect: PHP adds "Status: 302" itself.
header('Location: /other.php');
echo "redirecting\n";
