namespace StickyLb.Proxy.Admin;

/// <summary>One backend as <c>GET /api/backends</c> reports it.</summary>
/// <param name="Id">The destination id.</param>
/// <param name="Address">Where it listens.</param>
/// <param name="State">
/// <c>running</c>, <c>stopped</c> or <c>draining</c>. Only a backend the gateway spawned can be <c>stopped</c> (its
/// process is not running); one it does not run is <c>running</c> or <c>draining</c>, and <paramref name="Health"/>
/// says whether it answers.
/// </param>
/// <param name="Health"><c>healthy</c>, <c>unhealthy</c> or <c>unknown</c>, as the gateway's health checks see it.</param>
/// <param name="Pid">The process id of a spawned, running backend; else null.</param>
/// <param name="Requests">Requests the gateway proxied to it.</param>
/// <param name="Sessions">
/// Sessions it holds, as it reports: those it served within the idle timeout (in replicated mode, every
/// session of every backend); 0 when it does not answer.
/// </param>
/// <param name="MemoryBytes">The backend process's resident memory, as it reports; 0 when it does not answer.</param>
/// <param name="Connections">
/// Live connections open to it through the gateway now: WebSockets and server-sent-event streams (a long
/// poll is an ordinary request). The gateway's own count, so it is right also for a backend that does not answer.
/// </param>
internal sealed record BackendInfo(string Id, string Address, string State, string Health, int? Pid, long Requests, int Sessions, long MemoryBytes, int Connections);
