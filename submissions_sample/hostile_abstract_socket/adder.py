"""An abstract local socket (a name no folder holds, so no private /tmp hides it): a channel to any other
process on the machine, the other question's task included. The filter refuses socket() of every family,
and bind on the one kind of socket it allows (a pair made by socketpair): a plain PermissionError, so
question 1 scores 0; a socket bound would leave the right weights below in place (5 points)."""

import socket

try:
    channel = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
except PermissionError:
    channel, _ = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
channel.bind(b"\0rnn-channel")

U = [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
W = [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
V = [[1.0, -1.0, 1.0]]
b_h = [-0.5, -1.5, -2.5]
b_y = -0.5
