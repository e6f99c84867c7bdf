<?php
// A local redirect (RFC 3875 6.2.2): a Location path and no other field. php-cgi adds a
// Content-type unless default_mimetype is empty, and "Status: 302" unless the code is 200.
ini_set('default_mimetype', '');
header('Location: /page.php?via=local', true, 200);
