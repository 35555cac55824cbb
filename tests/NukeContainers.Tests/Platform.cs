// The tests run on Linux only: the real engine, setpriv, unix sockets and file modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
