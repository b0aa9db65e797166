using Xunit.Abstractions;
using Xunit.Sdk;

namespace StickyLb.Tests.Infrastructure;

/// <summary>
/// The output of something a class fixture owns (a shared <see cref="GatewayProcess"/>): a fixture has no
/// test's output, so its lines go to xunit's diagnostic messages.
/// </summary>
internal sealed class MessageSinkOutput(IMessageSink sink) : ITestOutputHelper
{
    public void WriteLine(string message) => sink.OnMessage(new DiagnosticMessage(message));

    public void WriteLine(string format, params object[] args) => sink.OnMessage(new DiagnosticMessage(format, args));
}
