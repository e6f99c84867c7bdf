<?php
// W10's sleeper: holds a PHP process for a second, as the tutorial's busy page.
sleep(1);
echo "繁忙等待";
