using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace StickyLb.Proxy.Gateway;

/// <summary>
/// The one runtime setting the gateway needs that .NET reads only from the environment: ReadyToRun off
/// (<c>DOTNET_ReadyToRun=0</c>). The framework's code on the request path (Kestrel, sockets, YARP) then
/// starts from the JIT and is recompiled with dynamic PGO, instead of starting from its precompiled form;
/// measured in bench/results.md, that is 1.1 to 1.7 µs less CPU per proxied request (of about 8 µs of
/// user time) for about half a second more start-up. There is no runtimeconfig.json knob for it, so the
/// gateway replaces itself once, first thing, with the variable set: <c>execve</c> keeps the process id,
/// arguments, open files and parent, so a supervisor or terminal sees one process throughout.
/// A value the user set (either way) is left alone, and the processes the gateway starts get the user's
/// environment back (<see cref="KeepOutOfChild"/>).
/// </summary>
internal static partial class ReadyToRunRestart
{
    public const string Variable = "DOTNET_ReadyToRun";

    /// <summary>Set beside <see cref="Variable"/> by the restart, so that children can be given the user's environment.</summary>
    public const string MarkerVariable = "STICKYLB_READYTORUN_RESTART";

    /// <summary>
    /// Replaces this process with itself under <c>DOTNET_ReadyToRun=0</c>, unless the user chose a value,
    /// the gateway is hosted by something else (a test host), or this is not Linux. Returns only when no
    /// restart was made; a failed <c>execve</c> is not an error: the gateway runs as it is.
    /// </summary>
    public static void RestartIfNeeded()
    {
        if (!OperatingSystem.IsLinux()
            || Environment.GetEnvironmentVariable(Variable) is not null
            || Assembly.GetEntryAssembly() != typeof(ReadyToRunRestart).Assembly)
        {
            return;
        }

        byte[] arguments, environment;
        try
        {
            // As the kernel holds them: NUL-terminated strings, exactly what execve takes back.
            arguments = File.ReadAllBytes("/proc/self/cmdline");
            environment = File.ReadAllBytes("/proc/self/environ");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        if (arguments.Length == 0)
        {
            return;
        }

        var added = Encoding.ASCII.GetBytes($"{Variable}=0\0{MarkerVariable}=1\0");
        RemoveDiagnosticsSocket();
        Exec(arguments, [.. environment, .. added]);
    }

    /// <summary>Gives a child process the user's own ReadyToRun setting, not the gateway's restart.</summary>
    public static void KeepOutOfChild(ProcessStartInfo child)
    {
        if (child.Environment.Remove(MarkerVariable))
        {
            child.Environment.Remove(Variable);
        }
    }

    /// <summary>
    /// The runtime's diagnostics socket (what dotnet-counters and dotnet-trace connect to) is named after
    /// the process id, which the restart keeps: left in place, it stops the next runtime from listening.
    /// </summary>
    private static void RemoveDiagnosticsSocket()
    {
        try
        {
            foreach (var socket in Directory.EnumerateFiles(Path.GetTempPath(), $"dotnet-diagnostic-{Environment.ProcessId}-*-socket"))
            {
                File.Delete(socket);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only the diagnostics tools would miss it.
        }
    }

    private static unsafe void Exec(byte[] arguments, byte[] environment)
    {
        var argv = Pointers(arguments);
        var envp = Pointers(environment);
        fixed (byte* path = "/proc/self/exe\0"u8)
        fixed (byte* argumentBytes = arguments)
        fixed (byte* environmentBytes = environment)
        fixed (nint* argvStart = argv)
        fixed (nint* envpStart = envp)
        {
            for (var i = 0; i < argv.Length - 1; i++)
            {
                argvStart[i] += (nint)argumentBytes;
            }

            for (var i = 0; i < envp.Length - 1; i++)
            {
                envpStart[i] += (nint)environmentBytes;
            }

            execve(path, argvStart, envpStart);
        }
    }

    /// <summary>The offsets of the NUL-terminated strings in <paramref name="block"/>, then a zero for the terminating null pointer.</summary>
    private static nint[] Pointers(byte[] block)
    {
        var offsets = new List<nint>();
        for (var start = 0; start < block.Length;)
        {
            offsets.Add(start);
            var end = Array.IndexOf(block, (byte)0, start);
            start = end < 0 ? block.Length : end + 1;
        }

        // A last string without its NUL (never from /proc) would be read past the end: leave it out.
        if (block.Length > 0 && block[^1] != 0)
        {
            offsets.RemoveAt(offsets.Count - 1);
        }

        offsets.Add(0);
        return [.. offsets];
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int execve(byte* path, nint* argv, nint* envp);
}
