namespace StickyLb.BackendApp.Replicated;

/// <summary>The replicated store could not do what was asked within its consistency and time limits.</summary>
internal sealed class ReplicationException(string message) : Exception(message);
