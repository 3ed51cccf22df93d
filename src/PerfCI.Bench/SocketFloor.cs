using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PerfCI.Bench.Client;
using PerfCI.Bench.Metrics;

namespace PerfCI.Bench;

/// <summary>
/// A reference for the ceiling benchmark's added latency: bursts like the paced engine's (a message
/// per connection every step, sent one after another, each stamped just before its send(2)) between
/// two processes on the same two cores, with no HTTP, no JSON and no SSE on either side. The
/// receiver is the thinnest .NET one: a loop of Socket.ReceiveAsync per connection, on the same
/// socket engine (and inline completions) as the client. The first event of each burst finds the
/// receiver idle: its lag is the machine's wake-up and socket path, a floor for any client. The
/// bare sender is faster than Kestrel, so its later events show the queueing any one-core receiver
/// has when a burst comes in faster than it handles events.
/// </summary>
internal static class SocketFloor
{
    /// <summary>A message: the sender's stamp (Stopwatch ticks), padded to about a token event's size on the wire.</summary>
    public const int MessageBytes = 256;

    /// <summary>Accepts <paramref name="connections"/> connections, then every <paramref name="stepMs"/> sends each one a stamped message, until they close.</summary>
    public static void Send(int port, int connections, double stepMs, CancellationToken ct)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(connections);
        var sockets = new List<Socket>();
        try
        {
            while (sockets.Count < connections)
            {
                var socket = listener.Accept();
                socket.NoDelay = true;
                sockets.Add(socket);
            }
            var message = new byte[MessageBytes];
            var step = (long)(stepMs * Stopwatch.Frequency / 1000);
            var next = Stopwatch.GetTimestamp() + step;
            while (!ct.IsCancellationRequested)
            {
                WaitUntil(next);
                next += step;
                foreach (var socket in sockets)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(message, Stopwatch.GetTimestamp());
                    if (socket.Send(message, SocketFlags.None, out var error) <= 0 || error != SocketError.Success)
                        return; // the receiver is done
                }
            }
        }
        finally
        {
            foreach (var socket in sockets)
                socket.Dispose();
        }
    }

    private static void WaitUntil(long deadline)
    {
        while (true)
        {
            var remaining = deadline - Stopwatch.GetTimestamp();
            if (remaining <= 0)
                return;
            if (remaining > Stopwatch.Frequency / 500)
                Thread.Sleep(1);
            else
                Thread.SpinWait(20);
        }
    }

    /// <summary>Connects <paramref name="connections"/> times and receives until <paramref name="stop"/>; every whole message is one event, timed when its read returned.</summary>
    public static async Task<List<StampedEvent>> ReceiveAsync(int port, int connections, MonotonicClock clock, CancellationToken stop)
    {
        var sockets = new List<Socket>();
        for (var i = 0; i < connections; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), stop);
                    break;
                }
                catch (SocketException) when (attempt < 100)
                {
                    await Task.Delay(50, stop); // the sender is still starting
                }
            }
            sockets.Add(socket);
        }
        var all = new List<StampedEvent>[connections];
        await Task.WhenAll(sockets.Select((socket, i) => Task.Run(async () => all[i] = await ReceiveLoopAsync(socket, clock, stop))));
        foreach (var socket in sockets)
            socket.Dispose();
        return [.. all.SelectMany(l => l)];
    }

    private static async Task<List<StampedEvent>> ReceiveLoopAsync(Socket socket, MonotonicClock clock, CancellationToken stop)
    {
        var events = new List<StampedEvent>();
        var buffer = new byte[64 * 1024];
        var filled = 0;
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, stop);
                var at = clock.NowMs;
                if (read == 0)
                    return events;
                filled += read;
                var offset = 0;
                var first = true;
                for (; filled - offset >= MessageBytes; offset += MessageBytes)
                {
                    events.Add(new StampedEvent(clock.ToMs(BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(offset))), at, first));
                    first = false;
                }
                buffer.AsSpan(offset, filled - offset).CopyTo(buffer);
                filled -= offset;
            }
        }
        catch (OperationCanceledException)
        {
            return events;
        }
    }
}
