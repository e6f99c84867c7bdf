#!/bin/sh
# Forgets the header block: writes a body only.
echo "just some text, no header block"
