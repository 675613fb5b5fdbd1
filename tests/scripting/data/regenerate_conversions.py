#!/usr/bin/env python3
"""Records Redis's replies for the scripting differential test.

Starts Debian's redis-server (7.0.15) on a free loopback port, sets a few
keys, and for each case below records, in RESP2 and in RESP3:

  * the reply of every command a case's script calls, sent directly (the
    test's host replays these to the engine, so that the engine turns the
    same bytes into Lua values as Redis did), and
  * the reply of EVAL of the case: what the engine must produce, byte for byte.

Writes tests/scripting/data/conversions.txt. Run it again after changing the
cases:  python3 tests/scripting/data/regenerate_conversions.py
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# Keys the cases read; set before recording.
SETUP = [
    ["SET", "str", "hello"],
    ["SET", "num", "42"],
    ["HSET", "h1", "field", "value"],
    ["SADD", "s1", "member"],
    ["ZADD", "z1", "1.5", "one"],
    ["RPUSH", "l1", "a", "b", "c"],
]

# (script, keys, args, commands the script calls)
CASES = [
    # Lua values to replies
    ("return 1", [], [], []),
    ("return -7", [], [], []),
    ("return 3.99", [], [], []),
    ("return -3.99", [], [], []),
    ("return 0.5", [], [], []),
    ("return 1e300", [], [], []),
    ("return -1e300", [], [], []),
    ("return 0/0", [], [], []),
    ("return 2^53", [], [], []),
    ("return 'hello'", [], [], []),
    ("return ''", [], [], []),
    ("return 'a\\0b'", [], [], []),
    ("return true", [], [], []),
    ("return false", [], [], []),
    ("return nil", [], [], []),
    ("return", [], [], []),
    ("return {}", [], [], []),
    ("return {1, 2, 3}", [], [], []),
    ("return {1, 2, nil, 4}", [], [], []),
    ("return {1, 'a', {2, {3, {}}}, true, false}", [], [], []),
    ("return {1, {err='inner'}, 3}", [], [], []),
    ("return {{ok='fine'}, 2}", [], [], []),
    ("return {x=1, y=2}", [], [], []),
    ("return {1, 2, x=3}", [], [], []),
    ("return {err='boom'}", [], [], []),
    ("return {err='MYCODE boom'}", [], [], []),
    ("return {err='line\\r\\nbreak'}", [], [], []),
    ("return {err=42}", [], [], []),
    ("return {ok='FINE'}", [], [], []),
    ("return {ok='a\\r\\nb'}", [], [], []),
    ("return {ok=1}", [], [], []),
    ("return {err='e', ok='o'}", [], [], []),
    ("return {double=3.5}", [], [], []),
    ("return {double=-0.25}", [], [], []),
    ("return {double=1/0}", [], [], []),
    ("return {double=-1/0}", [], [], []),
    ("return {double=10}", [], [], []),
    ("return {double='x'}", [], [], []),
    ("return {big_number='123456789012345678901234567890'}", [], [], []),
    ("return {big_number='1\\r\\n2'}", [], [], []),
    ("return {verbatim_string={format='txt', string='hi there'}}", [], [], []),
    ("return {verbatim_string={format='mkd', string=''}}", [], [], []),
    ("return {verbatim_string={string='no format'}}", [], [], []),
    ("return {map={a=1}}", [], [], []),
    ("return {map={}}", [], [], []),
    ("return {map={k={1,2}}}", [], [], []),
    ("return {map={k={map={n=true}}}}", [], [], []),
    ("return {set={a=true}}", [], [], []),
    ("return {set={}}", [], [], []),
    ("return {map='notatable'}", [], [], []),
    ("redis.setresp(3) return true", [], [], []),
    ("redis.setresp(3) return false", [], [], []),
    ("redis.setresp(3) return {true, false, 1}", [], [], []),
    ("redis.setresp(2) return false", [], [], []),
    # KEYS and ARGV
    ("return KEYS", ["k1", "k2"], ["a1"], []),
    ("return ARGV", [], ["x", "", "y"], []),
    ("return {#KEYS, #ARGV}", ["k"], ["a", "b"], []),
    ("return KEYS[1] .. ARGV[1]", ["k"], ["v"], []),
    # Command replies to Lua values and back
    ("return redis.call('PING')", [], [], [["PING"]]),
    ("return redis.call('ECHO', 'x')", [], [], [["ECHO", "x"]]),
    ("return redis.call('GET', 'str')", [], [], [["GET", "str"]]),
    ("return redis.call('GET', 'missing')", [], [], [["GET", "missing"]]),
    ("return type(redis.call('GET', 'missing'))", [], [], [["GET", "missing"]]),
    ("return redis.call('STRLEN', 'str')", [], [], [["STRLEN", "str"]]),
    ("return redis.call('HGETALL', 'h1')", [], [], [["HGETALL", "h1"]]),
    ("return redis.call('SMEMBERS', 's1')", [], [], [["SMEMBERS", "s1"]]),
    ("return redis.call('LRANGE', 'l1', 0, -1)", [], [], [["LRANGE", "l1", "0", "-1"]]),
    ("return redis.call('ZRANGE', 'z1', 0, -1, 'WITHSCORES')", [], [], [["ZRANGE", "z1", "0", "-1", "WITHSCORES"]]),
    ("return redis.call('ZSCORE', 'z1', 'one')", [], [], [["ZSCORE", "z1", "one"]]),
    ("return redis.call('TYPE', 'str')", [], [], [["TYPE", "str"]]),
    ("return redis.call('GET', 1.5)", [], [], [["GET", "1.5"]]),
    ("return redis.call('GET', 10)", [], [], [["GET", "10"]]),
    ("return redis.call('GET', 0.1)", [], [], [["GET", "0.10000000000000001"]]),
    ("return redis.pcall('INCR', 'str')", [], [], [["INCR", "str"]]),
    ("return redis.pcall('GET', 'h1')", [], [], [["GET", "h1"]]),
    ("return redis.call('INCR', 'str')", [], [], [["INCR", "str"]]),
    ("return redis.call('GET', 'h1')", [], [], [["GET", "h1"]]),
    ("local r = redis.pcall('INCR', 'str') return r.err", [], [], [["INCR", "str"]]),
    ("local ok, e = pcall(redis.call, 'GET', 'h1') return {tostring(ok), e}", [], [], [["GET", "h1"]]),
    ("return redis.call('TYPE', 'str').ok", [], [], [["TYPE", "str"]]),
    ("redis.setresp(3) return redis.call('HGETALL', 'h1')", [], [], [["HGETALL", "h1"]]),
    ("redis.setresp(3) return redis.call('SMEMBERS', 's1')", [], [], [["SMEMBERS", "s1"]]),
    ("redis.setresp(3) return redis.call('ZSCORE', 'z1', 'one')", [], [], [["ZSCORE", "z1", "one"]]),
    ("redis.setresp(3) return redis.call('ZSCORE', 'z1', 'one').double", [], [], [["ZSCORE", "z1", "one"]]),
    ("redis.setresp(3) return redis.call('GET', 'missing')", [], [], [["GET", "missing"]]),
    ("redis.setresp(3) return type(redis.call('GET', 'missing'))", [], [], [["GET", "missing"]]),
    ("redis.setresp(3) return redis.call('HGETALL', 'h1').map.field", [], [], [["HGETALL", "h1"]]),
    ("redis.setresp(3) return redis.call('ZRANGE', 'z1', 0, -1, 'WITHSCORES')", [], [], [["ZRANGE", "z1", "0", "-1", "WITHSCORES"]]),
    # The redis API
    ("return redis.sha1hex('')", [], [], []),
    ("return redis.sha1hex('abc')", [], [], []),
    ("return redis.sha1hex()", [], [], []),
    ("return redis.error_reply('MY boom')", [], [], []),
    ("return redis.error_reply('boom')", [], [], []),
    ("return redis.error_reply('-boom')", [], [], []),
    ("return redis.error_reply()", [], [], []),
    ("return redis.status_reply('FINE')", [], [], []),
    ("return redis.status_reply(1)", [], [], []),
    ("return redis.REDIS_VERSION", [], [], []),
    ("return redis.REDIS_VERSION_NUM", [], [], []),
    ("return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}", [], [], []),
    ("return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}", [], [], []),
    ("return redis.replicate_commands()", [], [], []),
    ("return redis.set_repl(redis.REPL_ALL)", [], [], []),
    ("return redis.set_repl(99)", [], [], []),
    ("return redis.set_repl()", [], [], []),
    ("return redis.setresp(4)", [], [], []),
    ("return redis.setresp()", [], [], []),
    ("return redis.log(1)", [], [], []),
    ("return redis.log('x', 'y')", [], [], []),
    ("return redis.log(9, 'y')", [], [], []),
    ("return redis.log(redis.LOG_DEBUG, 'message')", [], [], []),
    ("return redis.breakpoint()", [], [], []),
    ("return redis.debug('x')", [], [], []),
    ("return redis.call()", [], [], []),
    ("return redis.call({})", [], [], []),
    ("return redis.pcall()", [], [], []),
    ("return redis.call('GET', {})", [], [], []),
    ("return redis.call('GET', nil)", [], [], []),
    # Errors raised by the script
    ("error('boom')", [], [], []),
    ("error({err='MYERR boom'})", [], [], []),
    ("error({err='boom'})", [], [], []),
    ("error(42)", [], [], []),
    ("error()", [], [], []),
    ("error('no position', 0)", [], [], []),
    ("local x = nil + 1", [], [], []),
    ("local t = nil; return t.x", [], [], []),
    ("\n\nerror('third line')", [], [], []),
    ("return x(", [], [], []),
    ("return {1, 2", [], [], []),
    ("return 'unfinished", [], [], []),
    # The sandbox
    ("x = 1", [], [], []),
    ("return x", [], [], []),
    ("function f() end", [], [], []),
    ("_G.y = 1", [], [], []),
    ("rawset(_G, 'z', 1)", [], [], []),
    ("return rawget(_G, 'nothing')", [], [], []),
    ("return rawget(_G, 'redis') == redis", [], [], []),
    ("table.insert(_G, 1)", [], [], []),
    ("setmetatable(_G, nil)", [], [], []),
    ("string.rep = nil", [], [], []),
    ("cjson.encode = 1", [], [], []),
    ("redis.call = 1", [], [], []),
    ("getmetatable('').__index = {}", [], [], []),
    ("return type(getmetatable(''))", [], [], []),
    ("return rawget(getmetatable(''), '__index') == string", [], [], []),
    ("return type(getmetatable(_G))", [], [], []),
    ("return ('x'):rep(3)", [], [], []),
    ("return string.rep('x', 3, 'y')", [], [], []),
    ("return type(os)", [], [], []),
    ("return type(io)", [], [], []),
    ("return type(print)", [], [], []),
    ("return type(require)", [], [], []),
    ("return type(package)", [], [], []),
    ("return type(module)", [], [], []),
    ("return type(dofile)", [], [], []),
    ("return type(loadfile)", [], [], []),
    ("return type(debug)", [], [], []),
    ("return type(setfenv)", [], [], []),
    ("return type(getfenv)", [], [], []),
    ("return type(newproxy)", [], [], []),
    ("return type(jit)", [], [], []),
    ("return type(ffi)", [], [], []),
    ("return {type(coroutine), type(gcinfo), type(unpack), type(collectgarbage), type(loadstring), type(load), type(xpcall)}", [], [], []),
    ("return _VERSION", [], [], []),
    ("return loadstring('return 1 + 1')()", [], [], []),
    ("return {loadstring(string.dump(function() return 1 end))}", [], [], []),
    ("return {loadstring('\\27Lua')}", [], [], []),
    ("return load('return 1')", [], [], []),
    ("local s = 'return 7' local i = 0 return load(function() i = i + 1 if i == 1 then return s end end)()", [], [], []),
    ("local s = string.dump(function() return 1 end) local i = 0 return {load(function() i = i + 1 if i == 1 then return s end end)}", [], [], []),
    ("local ok, e = pcall(function() redis.call('GET', 'h1') end) return e", [], [], [["GET", "h1"]]),
    ("local ok, e = pcall(function() error('x') end) return e", [], [], []),
    ("local ok, e = pcall(function() error({err='T x'}) end) return e", [], [], []),
    ("return pcall(function() return 1 end)", [], [], []),
    ("return {pcall(function() return 1, 2 end)}", [], [], []),
    ("local t = {} for k in pairs(redis) do t[#t + 1] = k end table.sort(t) return t", [], [], []),
    ("local t = {} for k in pairs(_G) do t[#t + 1] = k end table.sort(t) return t", [], [], []),
    ("local t = {} for k in pairs(string) do t[#t + 1] = k end table.sort(t) return t", [], [], []),
    ("local t = {} for k in pairs(table) do t[#t + 1] = k end table.sort(t) return t", [], [], []),
    ("local t = {} for k in pairs(math) do t[#t + 1] = k end table.sort(t) return t", [], [], []),
    ("local t = {} for k in pairs(bit) do t[#t + 1] = k end table.sort(t) return t", [], [], []),
    ("local t = {} for k in pairs(struct) do t[#t + 1] = k end table.sort(t) return t", [], [], []),
    ("local t = {} for k in pairs(cmsgpack) do t[#t + 1] = k end table.sort(t) return t", [], [], []),
    ("local t = {} for k in pairs(cjson) do t[#t + 1] = k end table.sort(t) return t", [], [], []),
    ("local t = {} for k in pairs(coroutine) do t[#t + 1] = k end table.sort(t) return t", [], [], []),
    ("return {math.random(100), math.random(100)}", [], [], []),
    ("math.randomseed(7) return {math.random(1000), math.random(5, 10), string.format('%.17g', math.random())}", [], [], []),
    ("return math.random(0)", [], [], []),
    ("local t = {3, 1, 2} table.sort(t) return t", [], [], []),
    ("local t = {} t[1] = 'a' KEYS[1] = 'b' return {t[1], KEYS[1]}", ["k"], [], []),
    ("local co = coroutine.wrap(function() coroutine.yield(1) return 2 end) return {co(), co()}", [], [], []),
    # Libraries
    ("return cjson.encode({1, 2, 3, {x=1.5}})", [], [], []),
    ("return cjson.encode({a={b={c='d'}}})", [], [], []),
    ("return cjson.encode('a\"b\\\\c/\\n\\1')", [], [], []),
    ("return cjson.encode({1, nil, 3})", [], [], []),
    ("return cjson.encode(0.1)", [], [], []),
    ("return cjson.encode({[1]=1, [10]=2})", [], [], []),
    ("return cjson.encode(cjson.null)", [], [], []),
    ("return cjson.encode(function() end)", [], [], []),
    ("return cjson.decode('[1, 2, {\"a\": null}]')[3].a == cjson.null", [], [], []),
    ("return cjson.decode('{\"a\": [1, \"x\", true]}').a", [], [], []),
    ("return cjson.decode('[1, 2')", [], [], []),
    ("return cjson.decode('\"\\\\u00e9\"')", [], [], []),
    ("return cjson.decode('1e2')", [], [], []),
    ("return cjson.decode(string.rep('[', 1100) .. string.rep(']', 1100))", [], [], []),
    ("return bit.tohex(255) .. bit.band(0xff, 0x0f) .. bit.lshift(1, 40)", [], [], []),
    ("return {bit.bor(1, 2), bit.bxor(5, 3), bit.bnot(0), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(1, 33), bit.bswap(1), bit.tobit(2^32 + 5)}", [], [], []),
    ("return bit.tohex(-1, -4)", [], [], []),
    ("return struct.pack('>I2', 258)", [], [], []),
    ("return struct.pack('<i4', -2)", [], [], []),
    ("return struct.pack('bBhHlLTi3I5', -1, 255, -2, 65535, -3, 4, 5, -6, 7)", [], [], []),
    ("return struct.pack('!4 b i', 1, 2)", [], [], []),
    ("return struct.pack('>d f', 1.5, 0.25)", [], [], []),
    ("return struct.pack('c5 s c0', 'abcdefg', 'zt', 'all')", [], [], []),
    ("return {struct.unpack('>I2 b', '\\1\\2\\255')}", [], [], []),
    ("return {struct.unpack('<i4', struct.pack('<i4', -123456))}", [], [], []),
    ("return {struct.unpack('s c3 x', 'hi\\0abcz')}", [], [], []),
    ("return {struct.unpack('b c0', '\\3abcd')}", [], [], []),
    ("return {struct.unpack('>I2', '\\1\\2\\3\\4', 3)}", [], [], []),
    ("return {struct.unpack('>I4', '\\1\\2')}", [], [], []),
    ("return {struct.unpack('>I2', '\\1\\2', 0)}", [], [], []),
    ("return {struct.unpack('>I2', '\\1\\2', -5)}", [], [], []),
    ("return struct.size('!4 b i d')", [], [], []),
    ("return struct.size('i40')", [], [], []),
    ("return struct.pack('y', 1)", [], [], []),
    ("return struct.pack('i4')", [], [], []),
    ("return cmsgpack.pack({1, 2, 3})", [], [], []),
    ("return cmsgpack.pack(0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649)", [], [], []),
    ("return cmsgpack.pack(1.5, 0.1, true, false, 'str', string.rep('x', 40), {})", [], [], []),
    ("return cmsgpack.pack({a=1})", [], [], []),
    ("return cmsgpack.pack({1, 2, x=3})", [], [], []),
    ("local t = {} t[1] = t return cmsgpack.pack(t)", [], [], []),
    ("return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3}, true))}", [], [], []),
    ("return cmsgpack.unpack(cmsgpack.pack({a='b'})).a", [], [], []),
    ("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}", [], [], []),
    ("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}", [], [], []),
    ("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}", [], [], []),
    ("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 2)}", [], [], []),
    ("return cmsgpack.unpack('\\147\\1')", [], [], []),
    ("return cmsgpack.unpack('\\193')", [], [], []),
    ("return cmsgpack.unpack('\\221\\255\\255\\255\\255')", [], [], []),
    ("return cmsgpack.pack()", [], [], []),
    # Numbers and strings
    ("return tostring(1e15) .. ' ' .. tostring(2^53) .. ' ' .. tostring(0.1)", [], [], []),
    ("return tostring(-0)", [], [], []),
    ("return tonumber('0x10')", [], [], []),
    ("return tonumber('  12  ')", [], [], []),
    ("return tonumber('1e1')", [], [], []),
    ("return 10 / 3", [], [], []),
    ("return string.format('%d %s %5.2f %q', 3.7, 'x', 1.234, 'a\\nb')", [], [], []),
    ("return #string.rep('ab', 1000)", [], [], []),
    ("return string.byte('A') + string.len('xyz')", [], [], []),
    ("return string.gsub('hello world', 'o', '0')", [], [], []),
    ("return {string.find('abc', 'b', 1, true)}", [], [], []),
    ("return select('#', 1, 2, 3)", [], [], []),
    ("return {unpack({1, 2, 3})}", [], [], []),
    ("return table.concat({1, 2, 3}, ',')", [], [], []),
    ("return math.floor(-3.5) .. ' ' .. math.ceil(-3.5) .. ' ' .. math.huge", [], [], []),
    ("return math.fmod(7, 3) + math.abs(-2) + math.max(1, 5) + math.min(1, 5)", [], [], []),
]


def escape(data: bytes) -> str:
    out = []
    for b in data:
        c = chr(b)
        if c == "\\":
            out.append("\\\\")
        elif c == "\t":
            out.append("\\t")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def encode(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def read_reply(sock, buf):
    """Returns (raw reply bytes, rest of the buffer)."""
    while True:
        end = parse(buf, 0)
        if end is not None:
            return buf[:end], buf[end:]
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed")
        buf += chunk


def parse(buf, pos):
    """End offset of the reply at pos, or None if incomplete."""
    nl = buf.find(b"\r\n", pos)
    if nl < 0:
        return None
    kind, line, after = buf[pos:pos + 1], buf[pos + 1:nl], nl + 2
    if kind in b"+-:_,#(":
        return after
    if kind in b"$=!":
        n = int(line)
        if n < 0:
            return after
        return after + n + 2 if len(buf) >= after + n + 2 else None
    if kind in b"*~>%|":
        n = int(line)
        if n < 0:
            return after
        if kind in b"%|":
            n *= 2
        for _ in range(n):
            after = parse(buf, after)
            if after is None:
                return None
        if kind == b"|":
            return parse(buf, after)
        return after
    raise RuntimeError("unexpected reply type %r" % kind)


class Connection:
    def __init__(self, port, resp):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""
        if resp == 3:
            self.command(["HELLO", "3"])

    def command(self, args):
        self.sock.sendall(encode(args))
        reply, self.buf = read_reply(self.sock, self.buf)
        return reply


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    port = free_port()
    workdir = tempfile.mkdtemp()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                conn2 = Connection(port, 2)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("redis-server did not start")
        version = conn2.command(["INFO", "server"])
        if b"redis_version:7.0." not in version:
            raise RuntimeError("need redis-server 7.0, got: %r" % version[:200])
        conn3 = Connection(port, 3)
        lines = ["# Generated by regenerate_conversions.py from redis-server 7.0.15: do not edit.",
                 "# C<TAB>resp<TAB>reply<TAB>args...: a command's reply, sent directly",
                 "# E<TAB>resp<TAB>reply<TAB>script<TAB>numkeys<TAB>keys and args...: EVAL's reply"]
        for args in SETUP:
            conn2.command(args)
        commands = set()
        for script, keys, argv, calls in CASES:
            for call in calls:
                commands.add(tuple(call))
        for call in sorted(commands):
            for resp, conn in ((2, conn2), (3, conn3)):
                reply = conn.command(list(call))
                lines.append("\t".join(["C", str(resp), escape(reply)] + [escape(a.encode()) for a in call]))
        for script, keys, argv, calls in CASES:
            for resp, conn in ((2, conn2), (3, conn3)):
                reply = conn.command(["EVAL", script, str(len(keys))] + keys + argv)
                lines.append("\t".join(["E", str(resp), escape(reply), escape(script.encode()),
                                        str(len(keys))] + [escape(a.encode()) for a in keys + argv]))
        with open(os.path.join(HERE, "conversions.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
        print("wrote %d cases" % len(CASES))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    sys.exit(main())
