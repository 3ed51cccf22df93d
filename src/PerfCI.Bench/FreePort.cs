using System.Net;
using System.Net.Sockets;

namespace PerfCI.Bench;

public static class FreePort
{
    /// <summary>A port nothing listens on right now (the OS picks it); the caller binds it soon after.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
