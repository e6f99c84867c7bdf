#!/bin/sh
printf 'Status: 418 I am a teapot\r\nContent-Type: text/plain\r\nX-From-Script: yes\r\n\r\nshort and stout\n'
