"""An exception whose class name and message are HTML and backticks: shown literally, never as markup."""
class Boom(Exception):
    pass
Boom.__name__ = "<script>alert(2)</script>"
def lstm_bptt(x, weights, forward, dL_dh):
    raise Boom("<img src=y onerror=alert(3)> `` ``` ~~~")
