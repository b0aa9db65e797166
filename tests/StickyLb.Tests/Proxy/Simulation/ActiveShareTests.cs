using StickyLb.Proxy.Simulation;

namespace StickyLb.Tests.Proxy.Simulation;

public sealed class ActiveShareTests
{
    [Fact]
    public void WithThreeBackendsTheSecondBackendsShareIsEveryThirdUserFromTheSecond()
    {
        var share = ActiveShare.For("2", ["1", "2", "3"]);

        Assert.Equal([1, 4, 7], Enumerable.Range(0, 9).Where(share.Holds));
    }

    [Fact]
    public void WithFiveBackendsTheFifthBackendsShareIsAFifthOfTheUsers()
    {
        // It used to be every third user whatever the number of backends: backend 5 took backend 2's third.
        var share = ActiveShare.For("5", ["1", "2", "3", "4", "5"]);

        Assert.Equal([4, 9, 14], Enumerable.Range(0, 15).Where(share.Holds));
    }

    [Fact]
    public void ABackendNamedOtherThanByANumberTakesItsPlaceInTheList()
    {
        var share = ActiveShare.For("blue", ["green", "blue"]);

        Assert.Equal([1, 3, 5], Enumerable.Range(0, 6).Where(share.Holds));
    }

    [Fact]
    public void ABackendThatIsNotInTheListIsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ActiveShare.For("4", ["1", "2", "3"]));
}
