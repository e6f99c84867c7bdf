<?php echo "this is server";
