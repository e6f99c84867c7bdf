<?php
// The tutorial's second program (shared/seeds/000_9b39326b60620f40.txt): the first
// program's set-up with its accept loop replaced by the fork-per-connection loop.
// Changed for the bench, and nothing else: the port comes from argv[1] (was 9933) and
// the busy request sleeps 2 seconds (was 10). Its children never exit: after answering
// they loop back into socket_accept, so every connection leaves a live php process.

if (! extension_loaded('sockets')) {
    die('没扩展哦?');
}

function check_socket($socket)
{
    if ($socket === false) {
        $errorcode = socket_last_error();
        $errormsg = socket_strerror($errorcode);

        return "Socket error with: [$errorcode] $errormsg" . PHP_EOL;
    }
    return 'OK' . PHP_EOL;
}

# 正确的创建
$socket = @socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
echo check_socket($socket);

# 绑定名字
$ip = '127.0.0.1';
$bind = @socket_bind($socket, $ip, (int) ($argv[1] ?? 9933));
echo check_socket($bind);

socket_listen($socket, 10);

while (true) {
    $client = socket_accept($socket);

    # 创建子进程
    $pid = pcntl_fork();

    # 父进程和子进程都会执行下面代码
    if ($pid == -1) {
        # 错误处理:创建子进程失败时返回-1.
        exit('创建子进程失败');
    } elseif ($pid) {
        # 父进程会得到子进程号,所以这里是父进程执行的逻辑
        # 等待子进程中断,防止子进程成为僵尸进程
        # pcntl_wait($status);

        socket_close($client);
    } else {
        # 子进程得到的$pid为0,所以这里是子进程执行的逻辑
        $buffer = socket_read($client, 1024);
        echo $buffer;

        $html = "HTTP/1.1 200 OK" . PHP_EOL
            . "Content-Type: text/html; charset=utf-8" . PHP_EOL
            . PHP_EOL;

        if (preg_match("/sleep/i", $buffer, $matches)) {
            sleep(2);
            $html .= "繁忙等待";
            socket_write($client, $html);
        } else {
            $html .= "this is server";
            socket_write($client, $html);
        }
        socket_close($client);
    }
}

socket_close($socket);
