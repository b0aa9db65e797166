using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StickyLb.BackendApp.Hosting;
using StickyLb.BackendApp.Sessions;
using StickyLb.Shared;

namespace StickyLb.BackendApp.Endpoints;

/// <summary>The session endpoints of the demo application: who am I, log in and out, a cart.</summary>
internal static class SessionEndpoints
{
    /// <summary>The most items a cart holds, so that a session stays small.</summary>
    public const int MaxCartItems = 100;

    public static IEndpointRouteBuilder MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").AddEndpointFilter<SessionStoreFilter>();
        group.MapGet("/whoami", WhoAmI);
        group.MapPost("/login", LoginAsync);
        group.MapPost("/logout", Logout);
        group.MapGet("/cart", GetCart);
        group.MapPost("/cart/items", AddCartItemAsync);
        group.MapGet("/", HomePage.Render);
        return app;
    }

    /// <summary>Counts a visit and describes the session.</summary>
    public static Ok<WhoAmIResponse> WhoAmI(HttpContext context, IOptions<BackendOptions> options)
    {
        var session = Open(context, options.Value);
        session.Visits++;
        return TypedResults.Ok(Describe(session, options.Value));
    }

    public static async Task<Results<Ok<WhoAmIResponse>, ProblemHttpResult>> LoginAsync(HttpContext context, IOptions<BackendOptions> options)
    {
        var (body, problem) = await JsonBody.ReadAsync<LoginRequest>(context.Request);
        problem ??= TextInput.Validate("user", body?.User);
        if (problem is not null)
        {
            return problem;
        }

        var session = Open(context, options.Value);
        session.User = body!.User!.Trim();
        return TypedResults.Ok(Describe(session, options.Value));
    }

    public static Ok<WhoAmIResponse> Logout(HttpContext context, IOptions<BackendOptions> options)
    {
        var session = Open(context, options.Value);
        session.User = null;
        return TypedResults.Ok(Describe(session, options.Value));
    }

    public static Ok<CartResponse> GetCart(HttpContext context, IOptions<BackendOptions> options)
    {
        var session = Open(context, options.Value);
        return TypedResults.Ok(new CartResponse(options.Value.Id, session.Cart));
    }

    public static async Task<Results<Ok<CartResponse>, ProblemHttpResult>> AddCartItemAsync(HttpContext context, IOptions<BackendOptions> options)
    {
        var (body, problem) = await JsonBody.ReadAsync<CartItemRequest>(context.Request);
        problem ??= TextInput.Validate("item", body?.Item);
        if (problem is not null)
        {
            return problem;
        }

        var session = Open(context, options.Value);
        var items = session.Cart.ToList();
        if (items.Count >= MaxCartItems)
        {
            return JsonBody.BadRequest($"The cart is full ({MaxCartItems} items).");
        }

        items.Add(body!.Item!.Trim());
        session.Cart = items;
        return TypedResults.Ok(new CartResponse(options.Value.Id, items));
    }

    /// <summary>Opens the request's session, stamping a new one with the backend that created it.</summary>
    internal static SessionView Open(HttpContext context, BackendOptions options)
    {
        var session = new SessionView(context.Session);
        session.EnsureCreatedBy(options.Id);
        return session;
    }

    internal static WhoAmIResponse Describe(SessionView session, BackendOptions options) =>
        new(options.Id, session.Id, session.User, session.Visits, session.SessionBackend, options.Store);
}
