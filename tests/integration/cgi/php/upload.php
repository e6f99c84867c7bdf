<?php
header('Content-Type: text/plain');
$file = $_FILES['document'] ?? null;
if ($file === null || $file['error'] !== UPLOAD_ERR_OK) {
    http_response_code(400);
    echo 'upload failed: ', $file === null ? 'no file' : $file['error'], "\n";
    exit;
}
echo 'title=', $_POST['title'] ?? '', "\n";
echo 'name=', $file['name'], "\n";
echo 'size=', $file['size'], "\n";
echo 'md5=', md5_file($file['tmp_name']), "\n";
