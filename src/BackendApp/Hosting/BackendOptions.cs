using System.ComponentModel.DataAnnotations;

namespace StickyLb.BackendApp.Hosting;

/// <summary>Settings of one BackendApp process, bound from the <c>Backend</c> section.</summary>
internal sealed class BackendOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string Section = "Backend";

    /// <summary>
    /// The backend's id, the same as its YARP destination id ("1", "2", ...). Sent as <c>X-Backend</c>
    /// and in every JSON answer. Default "1".
    /// </summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_-]{1,64}$", ErrorMessage = "Backend:Id must be 1 to 64 letters, digits, '-' or '_'.")]
    public string Id { get; set; } = "1";

    /// <summary>Where sessions live: <c>memory</c> (this process only). Default <c>memory</c>.</summary>
    [RegularExpression("^(memory)$", ErrorMessage = "Backend:Store must be 'memory'.")]
    public string Store { get; set; } = "memory";

    /// <summary>
    /// The process id of the gateway that spawned this backend; the backend stops when that process
    /// is gone, so a gateway that dies without cleaning up leaves no orphans. 0 (default): no watch.
    /// </summary>
    [Range(0, int.MaxValue)]
    public int ParentPid { get; set; }

    /// <summary>How long an idle session lives. Default 20 minutes.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(20);
}
